/** `text` with every occurrence of `secret` (a token a host may echo back) replaced by `mark`. */
export function withoutSecret(text: string, secret: string | undefined, mark = '[token]'): string {
  return secret ? text.split(secret).join(mark) : text
}
