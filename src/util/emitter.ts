/** A minimal typed event emitter; listeners run synchronously in registration order. */
export class Emitter<E> {
  private readonly listeners = new Set<(event: E) => void>();

  /** Adds a listener; returns a function that removes it. */
  on(listener: (event: E) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: E): void {
    for (const listener of this.listeners) {
      listener(event);
    }
  }
}
