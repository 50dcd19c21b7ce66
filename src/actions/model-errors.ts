// Validation errors of a model, rendered as CF's Sequel models render them.
import { unprocessable } from '../core/errors.js';

/**
 * Sequel's validation errors: messages grouped by attribute in the order each attribute first
 * failed, each rendered "{attribute} {message}", all joined with ", ".
 */
export class ModelErrors {
  private readonly byAttribute = new Map<string, string[]>();

  add(attribute: string, message: string): void {
    const list = this.byAttribute.get(attribute) ?? [];
    list.push(message);
    this.byAttribute.set(attribute, list);
  }

  any(): boolean {
    return this.byAttribute.size > 0;
  }

  raise(): void {
    const full = [...this.byAttribute].flatMap(([attribute, messages]) => messages.map((m) => `${attribute} ${m}`));
    if (full.length) throw unprocessable(full.join(', '));
  }
}
