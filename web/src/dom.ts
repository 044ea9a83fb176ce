/** The element with this id, checked to be of the expected class (the page's HTML is ours). */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`wscam: #${id} is missing from index.html`);
  return element;
}

/** Two-digit zero padding for dates and times. */
export function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
