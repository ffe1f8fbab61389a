import { formatDateTime, formatRelative } from "../format";

/** A moment: "5 minutes ago" while recent, the date past a week; the exact
 * date and time on hover and for assistive technology. */
export function When({ at, exact = false }: { at: string; exact?: boolean }) {
  const full = formatDateTime(at);
  return (
    <time dateTime={at} title={full}>
      {exact ? full : formatRelative(at)}
    </time>
  );
}
