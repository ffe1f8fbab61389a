import {
  Box,
  Card,
  EmptySearchResult,
  IndexFilters,
  IndexTable,
  SkeletonBodyText,
  Text,
  useSetIndexFiltersMode,
  type IndexTableProps,
  useBreakpoints,
} from "@shopify/polaris";
import { useEffect, useState, type ReactNode } from "react";

import { ErrorBanner } from "./ErrorBanner";
import type { usePagedQuery } from "./usePagedQuery";

export type Tab = { id: string; label: string };

/** The search text, applied a moment after the merchant stops typing. */
export function useDebounced(value: string, delay = 300): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

type FiltersProps = {
  tabs: Tab[];
  selected: number;
  onSelect: (index: number) => void;
  search?: { value: string; onChange: (value: string) => void; placeholder: string };
};

/** Shopify's index filters: a tab per status, and a search field. */
export function FeedFilters({ tabs, selected, onSelect, search }: FiltersProps) {
  const { mode, setMode } = useSetIndexFiltersMode();
  return (
    <IndexFilters
      tabs={tabs.map((tab, index) => ({
        id: tab.id,
        content: tab.label,
        index,
        isLocked: true,
        onAction: () => undefined,
      }))}
      selected={selected}
      onSelect={onSelect}
      queryValue={search?.value ?? ""}
      queryPlaceholder={search?.placeholder}
      onQueryChange={search?.onChange ?? (() => undefined)}
      onQueryClear={() => search?.onChange("")}
      hideQueryField={!search}
      filters={[]}
      onClearAll={() => search?.onChange("")}
      mode={mode}
      setMode={setMode}
      canCreateNewView={false}
      hideFilters
      cancelAction={{ onAction: () => search?.onChange("") }}
    />
  );
}

type TableProps<T> = {
  what: string; // "Point activities": names the list in its error
  resourceName: { singular: string; plural: string };
  headings: IndexTableProps["headings"];
  page: ReturnType<typeof usePagedQuery<T>>;
  empty: { title: string; description: string };
  filters?: ReactNode;
  title?: string; // a heading inside the card, for a list that is one section of a page
  row: (item: T, index: number) => ReactNode;
};

/** A paged list in a Card: skeleton on the first load, the API's error in
 * place of the rows while it fails, an empty result with what to try next. */
export function PagedIndexTable<T>({ what, resourceName, headings, page, empty, filters, title, row }: TableProps<T>) {
  const { smDown } = useBreakpoints(); // a phone: rows as a list, no sideways scrolling
  let table: ReactNode;
  if (page.isError) {
    table = (
      <Box padding="400">
        <ErrorBanner what={what} error={page.error} onRetry={() => void page.refetch()} />
      </Box>
    );
  } else if (page.isPending) {
    table = (
      <Box padding="400">
        <SkeletonBodyText lines={8} />
      </Box>
    );
  } else {
    table = (
      <IndexTable
        condensed={smDown}
        resourceName={resourceName}
        itemCount={page.items.length}
        selectable={false}
        loading={page.isFetching}
        headings={headings}
        pagination={page.pagination.hasNext || page.pagination.hasPrevious ? page.pagination : undefined}
        emptyState={<EmptySearchResult title={empty.title} description={empty.description} />}
      >
        {page.items.map(row)}
      </IndexTable>
    );
  }
  return (
    <Card padding="0">
      {title && (
        <Box padding="400" paddingBlockEnd="200">
          <Text as="h2" variant="headingMd">
            {title}
          </Text>
        </Box>
      )}
      {filters}
      {table}
    </Card>
  );
}
