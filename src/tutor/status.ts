import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { describeTutorError, ITutorClient, toTutorError } from './client';
import { TutorChatModel } from './model';

/**
 * Whether the tutor can reach its model server and which models it offers.
 */
export class TutorStatus {
  constructor(options: TutorStatus.IOptions) {
    this._client = options.client;
    this._trans = (options.translator ?? nullTranslator).load('jelai');
  }

  /** Where the connection stands. */
  get state(): TutorStatus.State {
    return this._state;
  }

  /** Why the tutor is offline, in words for the student; empty otherwise. */
  get message(): string {
    return this._message;
  }

  /** The models the student may pick, as the server lists them. */
  get models(): readonly string[] {
    return this._models;
  }

  /** Emitted when the state, the message or the models change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Asks the server for the models, which also tells whether it is up. */
  async refresh(): Promise<void> {
    this._set('checking', '');
    try {
      this._models = await this._client.listModels();
      this._set('connected', '');
    } catch (error) {
      const tutorError = toTutorError(error);
      const offline =
        tutorError.kind === 'unreachable' || tutorError.kind === 'offline';
      this._set(
        offline ? 'offline' : 'error',
        describeTutorError(tutorError, this._trans)
      );
    }
  }

  /** Follows what replies reveal about the connection. */
  report(result: TutorChatModel.IReplyResult): void {
    if (result.status === 'finished') {
      this._set('connected', '');
    } else if (
      result.error &&
      (result.error.kind === 'unreachable' || result.error.kind === 'offline')
    ) {
      this._set('offline', describeTutorError(result.error, this._trans));
    }
  }

  private _set(state: TutorStatus.State, message: string): void {
    this._state = state;
    this._message = message;
    this._changed.emit();
  }

  private _client: ITutorClient;
  private _trans: TranslationBundle;
  private _state: TutorStatus.State = 'checking';
  private _message = '';
  private _models: string[] = [];
  private _changed = new Signal<this, void>(this);
}

/**
 * Options and states of the tutor status.
 */
export namespace TutorStatus {
  /** Options of the tutor status. */
  export interface IOptions {
    client: ITutorClient;
    translator?: ITranslator | null;
  }

  /** Where the connection to the model server stands. */
  export type State = 'checking' | 'connected' | 'offline' | 'error';
}
