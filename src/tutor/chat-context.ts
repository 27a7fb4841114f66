import { AbstractChatContext, IUser } from '@jupyter/chat';

/**
 * The chat context of the tutor's input: the student is the only user.
 */
export class TutorChatContext extends AbstractChatContext {
  /** The users the input may mention. */
  get users(): IUser[] {
    const user = this._model.user;
    return user ? [user] : [];
  }
}
