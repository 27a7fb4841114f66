import { IChatContext, IChatModel, INewMessage, IUser } from '@jupyter/chat';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { ITelemetry } from '../tokens';
import { TutorChatContext } from './chat-context';
import { describeTutorError, ITutorClient, TutorError } from './client';
import { Conversation, ReplyHandle, streamReply } from './conversation';
import { readHistory } from './history';
import { NotebookChatModel } from './notebook-chat';
import {
  ITutorMessageInfo,
  noticeMessage,
  questionMessage,
  replyBody,
  replyEnding,
  replyMessage,
  ReplyStatus,
  turnsOf,
  tutorUser
} from './messages';
import { BuildRequest, IAskOptions } from './request';

/**
 * The tutor chat: one conversation per notebook path, each reply streamed
 * from the model server into one message updated in place.
 */
export class TutorChatModel extends NotebookChatModel {
  constructor(options: TutorChatModel.IOptions) {
    super(options);
    this._client = options.client;
    this._telemetry = options.telemetry;
    this._buildRequest = options.buildRequest;
    this._trans = (options.translator ?? nullTranslator).load('jelai');
    this._tutor = tutorUser(this._trans);
    this._user = options.user ?? {
      username: 'student',
      display_name: this._trans.__('You'),
      initials: 'Y'
    };
    this._modelName = options.modelName ?? null;
    this.name = 'jelai-tutor';
    this.setReady();
  }

  /** The student, author of the questions. */
  get user(): IUser {
    return this._user;
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

  /** Emitted when a reply ends, however it ends. */
  get replyFinished(): ISignal<this, TutorChatModel.IReplyResult> {
    return this._replyFinished;
  }

  /** Sends what the student typed in the chat input. */
  sendMessage(message: INewMessage): Promise<boolean> {
    return this.ask(message.body);
  }

  /**
   * Adds the question and streams the tutor's reply; a question asked while
   * a reply is still streaming stops that reply first. `options` say which
   * cell it is about and whether it asks for a hint.
   */
  async ask(question: string, options: IAskOptions = {}): Promise<boolean> {
    const text = question.trim();
    const conversation = this.current;
    if (!text) {
      return false;
    }
    this.add(conversation, questionMessage(text, this._user));
    const notebook = conversation.notebook;
    const model = this._modelName;
    if (notebook === null || model === null) {
      const notice =
        notebook === null
          ? this._trans.__('Open a notebook to ask the tutor about it.')
          : this._trans.__('No model is available; pick one above the chat.');
      this.add(conversation, noticeMessage(notice, this._tutor));
      return false;
    }
    conversation.stop();
    await conversation.restored;
    await this._reply(conversation, notebook, model, options);
    return true;
  }

  /**
   * Empties the shown conversation; a `chat.clear` event hides it from the
   * history after a reload (the server keeps the record).
   */
  clear(): void {
    const conversation = this.current;
    conversation.clear();
    this.showNone();
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
    return new TutorChatContext({ model: this });
  }

  /** The tutor, shown as writing while a reply streams. */
  protected get writer(): IUser {
    return this._tutor;
  }

  /** Reads the conversation about a notebook back from the server. */
  protected async restore(
    conversation: Conversation,
    notebook: string
  ): Promise<void> {
    const generation = conversation.generation;
    // The server keeps each reply as the student was shown it.
    const contents = await readHistory(this._telemetry, notebook, {
      user: this._user,
      tutor: this._tutor,
      trans: this._trans
    });
    if (conversation.generation !== generation || !contents.length) {
      return;
    }
    this.prepend(conversation, contents);
  }

  private async _reply(
    conversation: Conversation,
    notebook: string,
    model: string,
    options: IAskOptions
  ): Promise<void> {
    const handle = new ReplyHandle();
    const turns = turnsOf(conversation.messages);
    const info = { text: '', status: 'streaming' as ReplyStatus, model };
    this.add(
      conversation,
      replyMessage(info, this._tutor, this._trans, undefined, handle.id)
    );
    conversation.reply = handle;
    this.syncWriters();
    const outcome = await streamReply({
      client: this._client,
      buildRequest: this._buildRequest,
      notebook,
      model,
      turns,
      options,
      handle,
      onText: (text, thinking) =>
        this._update(conversation, handle.id, { ...info, text, thinking }),
      onQueue: queue =>
        this._update(conversation, handle.id, { ...info, queue })
    });
    // The gateway cut what the student may not see before it arrived.
    const { status, error, text } = outcome;
    const reason = error ? describeTutorError(error, this._trans) : null;
    this._update(conversation, handle.id, {
      text,
      status,
      model,
      error: reason,
      ending:
        status === 'finished'
          ? replyEnding(outcome.doneReason, outcome.text)
          : null
    });
    if (conversation.reply === handle) {
      conversation.reply = null;
    }
    this.syncWriters();
    this._replyFinished.emit({ notebook, status, error });
  }

  /** Updates a reply in place, in its conversation and on screen. */
  private _update(
    conversation: Conversation,
    id: string,
    info: Omit<ITutorMessageInfo, 'role'>
  ): void {
    this.patch(conversation, id, {
      body: replyBody(info, this._trans),
      metadata: { jelai: { ...info, role: 'assistant' as const } }
    });
  }

  private _client: ITutorClient;
  private _telemetry: TutorChatModel.ITelemetryLike;
  private _buildRequest: BuildRequest;
  private _trans: TranslationBundle;
  private _tutor: IUser;
  private _user: IUser;
  private _modelName: string | null;
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
    /** Builds the request for a question (the context provider's `buildRequest`). */
    buildRequest: BuildRequest;
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
