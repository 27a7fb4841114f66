import {
  AbstractChatModel,
  IChatModel,
  IMessageContent,
  IUser
} from '@jupyter/chat';
import { ISignal, Signal } from '@lumino/signaling';
import { Conversation } from './conversation';

/**
 * A chat with one conversation per notebook path, showing one at a time;
 * subclasses read a conversation's history back and write its replies.
 */
export abstract class NotebookChatModel extends AbstractChatModel {
  constructor(options: IChatModel.IOptions) {
    super(options);
    this._current = this._conversation(null);
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

  /**
   * Follows a notebook to its new path: its conversation goes with it
   * (replacing any kept for a notebook that had that path before).
   */
  renameNotebook(from: string, to: string): void {
    const conversation = this._conversations.get(from);
    if (!conversation || from === to) {
      return;
    }
    this._conversations.delete(from);
    this._conversations.get(to)?.stop();
    conversation.notebook = to;
    this._conversations.set(to, conversation);
    if (conversation === this._current) {
      this._notebookChanged.emit(to);
    }
  }

  /** Whether a reply is being written in the shown conversation. */
  get isWriting(): boolean {
    return this._current.reply !== null;
  }

  /** Resolves once the shown conversation's history has been read back. */
  get restored(): Promise<void> {
    return this._current.restored ?? Promise.resolve();
  }

  /** Stops the reply being written in the shown conversation. */
  stop(): void {
    this._current.stop();
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

  /** The conversation shown. */
  protected get current(): Conversation {
    return this._current;
  }

  /** The user replies come from, shown as writing. */
  protected abstract get writer(): IUser;

  /** Reads a conversation's history back, once, when it is first shown. */
  protected abstract restore(
    conversation: Conversation,
    notebook: string
  ): Promise<void>;

  /** Adds a message at the end of a conversation. */
  protected add(conversation: Conversation, content: IMessageContent): void {
    conversation.messages.push(content);
    if (conversation === this._current) {
      this.messageAdded(content);
    }
  }

  /** Puts messages read back before the ones of a conversation. */
  protected prepend(
    conversation: Conversation,
    contents: IMessageContent[]
  ): void {
    conversation.messages = [...contents, ...conversation.messages];
    if (conversation === this._current) {
      this.messagesInserted(0, contents);
    }
  }

  /** Changes a message in place, in its conversation and on screen. */
  protected patch(
    conversation: Conversation,
    id: string,
    patch: Partial<IMessageContent>
  ): void {
    if (conversation.patch(id, patch) && conversation === this._current) {
      this.messages.find(message => message.id === id)?.update(patch);
    }
  }

  /** Removes every shown message (the conversation keeps its own list). */
  protected showNone(): void {
    // Mark them read while they still exist: the base class looks them up.
    this.unreadMessages = [];
    this.messagesDeleted(0, this.messages.length);
  }

  /** Shows the writer as writing while the shown conversation has a reply going. */
  protected syncWriters(): void {
    const reply = this._current.reply;
    const writers = reply ? [{ user: this.writer, messageID: reply.id }] : [];
    this.updateWriters(writers);
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
    this.showNone();
    const conversation = this._conversation(notebook);
    this._current = conversation;
    if (conversation.messages.length) {
      this.messagesInserted(0, conversation.messages);
    }
    if (notebook !== null && conversation.restored === null) {
      conversation.restored = this.restore(conversation, notebook);
    }
    this.syncWriters();
    this._notebookChanged.emit(notebook);
  }

  private _conversations = new Map<string, Conversation>();
  private _current: Conversation;
  private _notebookChanged = new Signal<this, string | null>(this);
}
