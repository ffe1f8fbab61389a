import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { getJson, type Page, type Query } from "../api";

/** One page of a keyset-paged list, with Previous/Next as IndexTable's
 * `pagination` takes them. The cursors seen are kept to step back; a new
 * filter (another `query`) starts again from the first page. While the next
 * page loads, the current one stays on screen (IndexTable shows it loading). */
export function usePagedQuery<T>(path: string, query: Query, options: { refetchWhile?: (items: T[]) => boolean } = {}) {
  const filters = JSON.stringify([path, query]);
  const [paging, setPaging] = useState({ filters, cursors: [null] as (string | null)[] });
  const cursors = paging.filters === filters ? paging.cursors : [null];
  const cursor = cursors[cursors.length - 1];
  const result = useQuery({
    queryKey: [path, query, cursor],
    queryFn: () => getJson<Page<T>>(path, { ...query, cursor }),
    placeholderData: keepPreviousData,
    // Something on the page is about to change by itself (a reward being
    // credited): look again every 2 s until it has.
    refetchInterval: (current) => (options.refetchWhile?.(current.state.data?.items ?? []) ? 2000 : false),
  });
  const nextCursor = result.data?.next_cursor ?? null;
  return {
    ...result,
    // Rows of a failing query are not shown: stale rows under an error
    // would look current.
    items: result.isError ? [] : (result.data?.items ?? []),
    pagination: {
      hasPrevious: cursors.length > 1,
      hasNext: Boolean(nextCursor) && !result.isPlaceholderData,
      onPrevious: () => setPaging({ filters, cursors: cursors.slice(0, -1) }),
      onNext: () => setPaging({ filters, cursors: [...cursors, nextCursor] }),
    },
  };
}
