/** Shell quoting for the scripts the aws target renders. */

/** A shell word that stays exactly the given text. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
