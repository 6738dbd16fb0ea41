/** A failed studio command as the page sees it: the contract's stable code and its message. */
export class StudioError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
    this.name = 'StudioError'
  }
}
