// Where the keyboard goes after a dialog closes or a nav-rail click: into the screen's content
// (the library's grid), as VS Code moves focus into the view an activity-bar click opened. Left
// on the button that opened a dialog, Enter or Space would press it again (reopening Import)
// instead of doing what the screen's keys say (opening the preview).
import { tick } from 'svelte'

/** Elements marked `data-autofocus` take the focus; otherwise the <main> landmark does. */
export const AUTOFOCUS_SELECTOR = 'main [data-autofocus]'

export function contentFocusTarget(doc: Document = document): HTMLElement | null {
  return doc.querySelector<HTMLElement>(AUTOFOCUS_SELECTOR) ?? doc.querySelector<HTMLElement>('main')
}

/** Focuses the screen's content once the DOM shows the new screen; never steals focus from an
 * open modal (a folder browser over the import dialog returns focus to that dialog). */
export async function focusContent(): Promise<void> {
  await tick()
  if (document.querySelector('dialog[open]')) return
  contentFocusTarget()?.focus({ preventScroll: true })
}
