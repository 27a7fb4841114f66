import {
  AbstractChatContext,
  AbstractChatModel,
  IChatContext,
  IChatModel,
  IMessageContent,
  INewMessage,
  IUser
} from '@jupyter/chat';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { ITelemetry } from '../tokens';
import { describeTutorError, ITutorClient, TutorError } from './client';
import { Conversation, ReplyHandle, streamReply } from './conversation';
import { readHistory } from './history';
import {
  ITutorMessageInfo,
  noticeMessage,
  questionMessage,
  replyBody,
  replyMessage,
  ReplyStatus,
  turnsOf,
  tutorUser
} from './messages';
import { BuildMessages, buildTutorMessages } from './prompt';

/**
 * The tutor chat: one conversation per notebook path, each reply streamed
 * from the model server into one message updated in place.
 */
export class TutorChatModel extends AbstractChatModel {
  constructor(options: TutorChatModel.IOptions) {
    super(options);
    this._client = options.client;
    this._telemetry = options.telemetry;
    this._buildMessages = options.buildMessages ?? buildTutorMessages;
    this._trans = (options.translator ?? nullTranslator).load('jelai');
    this._tutor = tutorUser(this._trans);
    this._user = options.user ?? {
      username: 'student',
      display_name: this._trans.__('You'),
      initials: 'Y'
    };
    this._modelName = options.modelName ?? null;
    this._current = this._conversation(null);
    this.name = 'jelai-tutor';
    this.setReady();
  }

  /** The student, author of the questions. */
  get user(): IUser {
    return this._user;
  }

  /** Path of the notebook the shown conversation is about. */
  get notebook(): string | null {
    return this._current.notebook;
  }
  set notebook(path: string | null) {
    this._activate(path || null);
  }

  /** Emitted when the shown conversation changes to another notebook. */
  get notebookChanged(): ISignal<this, string | null> {
    return this._notebookChanged;
  }

  /** The model that answers; null until one is known. */
  get modelName(): string | null {
    return this._modelName;
  }
  set modelName(name: string | null) {
    if (name !== this._modelName) {
      this._modelName = name;
      this._modelNameChanged.emit(name);
    }
  }

  /** Emitted when another model is picked. */
  get modelNameChanged(): ISignal<this, string | null> {
    return this._modelNameChanged;
  }

  /** Whether the tutor is writing a reply in the shown conversation. */
  get isWriting(): boolean {
    return this._current.reply !== null;
  }

  /** Emitted when a reply ends, however it ends. */
  get replyFinished(): ISignal<this, TutorChatModel.IReplyResult> {
    return this._replyFinished;
  }

  /** Resolves once the shown conversation's history has been read back. */
  get restored(): Promise<void> {
    return this._current.restored ?? Promise.resolve();
  }

  /**
   * Adds the question and streams the tutor's reply; a question asked while
   * a reply is still streaming stops that reply first.
   */
  async sendMessage(message: INewMessage): Promise<boolean> {
    const text = message.body.trim();
    const conversation = this._current;
    if (!text) {
      return false;
    }
    this._add(conversation, questionMessage(text, this._user));
    const notebook = conversation.notebook;
    const model = this._modelName;
    if (notebook === null || model === null) {
      const notice =
        notebook === null
          ? this._trans.__('Open a notebook to ask the tutor about it.')
          : this._trans.__('No model is available; pick one above the chat.');
      this._add(conversation, noticeMessage(notice, this._tutor));
      return false;
    }
    conversation.stop();
    await conversation.restored;
    await this._reply(conversation, notebook, model);
    return true;
  }

  /** Stops the reply being written in the shown conversation. */
  stop(): void {
    this._current.stop();
  }

  /**
   * Empties the shown conversation; a `chat.clear` event hides it from the
   * history after a reload (the server keeps the record).
   */
  clear(): void {
    const conversation = this._current;
    conversation.clear();
    this._showNone();
    if (conversation.notebook !== null) {
      const context = { notebook: conversation.notebook };
      this._telemetry.publish('chat.clear', {}, context);
      this._telemetry.flush().catch(() => undefined);
    }
  }

  /** Clears the conversation (the chat library's name for it). */
  clearMessages(): void {
    this.clear();
  }

  /** The chat context handed to the input. */
  createChatContext(): IChatContext {
    return new Private.ChatContext({ model: this });
  }

  /** Stops every reply in progress. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._conversations.forEach(conversation => conversation.stop());
    super.dispose();
    Signal.clearData(this);
  }

  private _conversation(notebook: string | null): Conversation {
    let conversation = this._conversations.get(notebook ?? '');
    if (!conversation) {
      conversation = new Conversation(notebook);
      this._conversations.set(notebook ?? '', conversation);
    }
    return conversation;
  }

  private _activate(notebook: string | null): void {
    if (notebook === this._current.notebook) {
      return;
    }
    this._showNone();
    const conversation = this._conversation(notebook);
    this._current = conversation;
    if (conversation.messages.length) {
      this.messagesInserted(0, conversation.messages);
    }
    if (notebook !== null && conversation.restored === null) {
      conversation.restored = this._restore(conversation, notebook);
    }
    this._syncWriters();
    this._notebookChanged.emit(notebook);
  }

  /** Removes every shown message (the conversation keeps its own list). */
  private _showNone(): void {
    // Mark them read while they still exist: the base class looks them up.
    this.unreadMessages = [];
    this.messagesDeleted(0, this.messages.length);
  }

  private async _restore(
    conversation: Conversation,
    notebook: string
  ): Promise<void> {
    const generation = conversation.generation;
    const contents = await readHistory(this._telemetry, notebook, {
      user: this._user,
      tutor: this._tutor,
      trans: this._trans
    });
    if (conversation.generation !== generation || !contents.length) {
      return;
    }
    conversation.messages = [...contents, ...conversation.messages];
    if (conversation === this._current) {
      this.messagesInserted(0, contents);
    }
  }

  private async _reply(
    conversation: Conversation,
    notebook: string,
    model: string
  ): Promise<void> {
    const handle = new ReplyHandle();
    const turns = turnsOf(conversation.messages);
    const info = { text: '', status: 'streaming' as ReplyStatus, model };
    this._add(
      conversation,
      replyMessage(info, this._tutor, this._trans, undefined, handle.id)
    );
    conversation.reply = handle;
    this._syncWriters();
    const outcome = await streamReply({
      client: this._client,
      buildMessages: this._buildMessages,
      notebook,
      model,
      turns,
      handle,
      onText: text => this._update(conversation, handle.id, { ...info, text })
    });
    const { text, status, error } = outcome;
    const reason = error ? describeTutorError(error, this._trans) : null;
    this._update(conversation, handle.id, {
      text,
      status,
      model,
      error: reason
    });
    if (conversation.reply === handle) {
      conversation.reply = null;
    }
    this._syncWriters();
    this._replyFinished.emit({ notebook, status, error });
  }

  private _add(conversation: Conversation, content: IMessageContent): void {
    conversation.messages.push(content);
    if (conversation === this._current) {
      this.messageAdded(content);
    }
  }

  /** Updates a reply in place, in its conversation and on screen. */
  private _update(
    conversation: Conversation,
    id: string,
    info: Omit<ITutorMessageInfo, 'role'>
  ): void {
    const patch = {
      body: replyBody(info, this._trans),
      metadata: { jelai: { ...info, role: 'assistant' as const } }
    };
    if (conversation.patch(id, patch) && conversation === this._current) {
      this.messages.find(message => message.id === id)?.update(patch);
    }
  }

  private _syncWriters(): void {
    const reply = this._current.reply;
    const writers = reply ? [{ user: this._tutor, messageID: reply.id }] : [];
    this.updateWriters(writers);
  }

  private _client: ITutorClient;
  private _telemetry: TutorChatModel.ITelemetryLike;
  private _buildMessages: BuildMessages;
  private _trans: TranslationBundle;
  private _tutor: IUser;
  private _user: IUser;
  private _modelName: string | null;
  private _conversations = new Map<string, Conversation>();
  private _current: Conversation;
  private _notebookChanged = new Signal<this, string | null>(this);
  private _modelNameChanged = new Signal<this, string | null>(this);
  private _replyFinished = new Signal<this, TutorChatModel.IReplyResult>(this);
}

/**
 * Options and results of the tutor chat model.
 */
export namespace TutorChatModel {
  /** What the model needs from the telemetry service. */
  export type ITelemetryLike = Pick<
    ITelemetry,
    'session' | 'publish' | 'flush' | 'query'
  >;

  /** Options of the tutor chat model. */
  export interface IOptions extends IChatModel.IOptions {
    client: ITutorClient;
    telemetry: ITelemetryLike;
    /** Builds the messages sent to the model; the tutor prompt by default. */
    buildMessages?: BuildMessages;
    translator?: ITranslator | null;
    /** The student; a generic "You" by default. */
    user?: IUser;
    modelName?: string | null;
  }

  /** How a reply ended. */
  export interface IReplyResult {
    notebook: string;
    status: ReplyStatus;
    error: TutorError | null;
  }
}

namespace Private {
  /** The chat context of the input: the student is the only user. */
  export class ChatContext extends AbstractChatContext {
    get users(): IUser[] {
      const user = this._model.user;
      return user ? [user] : [];
    }
  }
}
