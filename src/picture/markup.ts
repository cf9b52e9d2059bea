// Text from dumps and captures goes into SVG and HTML: unprintable characters are made
// visible as on the terminal (escapeText), then the five markup characters escaped, so an
// interface named `<img src=x onerror=…>` or an iptables comment holding `</script>` stays text.
import { escapeLine } from '../util/escape-text.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe as XML/HTML text and as a quoted attribute value. */
export function escapeMarkup(text: string): string {
  return escapeLine(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
