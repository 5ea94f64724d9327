/** Base of every error nsvswitch throws; subclasses carry typed context fields. */
export class NsvswitchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
