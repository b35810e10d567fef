/**
 * Prompts of replayed requests. A trace gives only a prompt's token count, so the runner
 * sends a synthetic prompt of that many space-separated words, and a simulated backend
 * counts the words back. One word stands for one token.
 */
export function syntheticPrompt(promptTokens: number): string {
  return promptTokens > 0 ? 'token '.repeat(promptTokens).trimEnd() : '';
}

/** Counts the space-separated words of a prompt, the token count of `syntheticPrompt`. */
export function countPromptTokens(prompt: string | undefined): number {
  if (!prompt) return 0;
  let words = 0;
  let inWord = false;
  for (let i = 0; i < prompt.length; i++) {
    const isSpace = prompt.charCodeAt(i) <= 32;
    if (!isSpace && !inWord) words += 1;
    inWord = !isSpace;
  }
  return words;
}
