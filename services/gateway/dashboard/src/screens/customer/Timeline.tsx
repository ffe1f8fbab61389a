import { Badge, Banner, BlockStack, Box, Button, IndexTable, Text } from "@shopify/polaris";
import { useState } from "react";

import { encode } from "../../api";
import { FeedFilters, PagedIndexTable, type Tab } from "../../components/IndexPage";
import { usePagedQuery } from "../../components/usePagedQuery";
import { When } from "../../components/When";
import { formatActor, formatDateTime, formatNumber, formatPoints, formatSignedPoints } from "../../format";
import { ReverseModal, type Reversible } from "./actions";

// The customer's merged timeline (SPEC §7): points, referral steps, reviews,
// Google reviews and admin actions, newest first, one cursor over all.
// GET /api/customers/{id}/activities, all time, one kind or every kind.

type TimelineKind = "points" | "referral" | "review" | "google_review" | "admin";

type TimelineItem = {
  id: string;
  kind: TimelineKind;
  occurred_at: string;
  customer_id: string | null;
  customer_email: string | null;
  customer_name: string | null;
  summary: string;
  points: number | null;
  ref: Record<string, unknown> & { id: number | string };
};

const KIND_TABS: (Tab & { kind: TimelineKind | null })[] = [
  { id: "all", label: "All", kind: null },
  { id: "points", label: "Points", kind: "points" },
  { id: "referral", label: "Referrals", kind: "referral" },
  { id: "review", label: "Reviews", kind: "review" },
  { id: "google_review", label: "Google reviews", kind: "google_review" },
  { id: "admin", label: "Admin", kind: "admin" },
];

const KIND_LABELS: Record<TimelineKind, string> = {
  points: "Points",
  referral: "Referral",
  review: "Review",
  google_review: "Google review",
  admin: "Admin",
};

// The whole history, not the feeds' default of the last 30 days.
const ALL_TIME = "1970-01-01T00:00:00Z";

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);
const count = (value: unknown): number | null => (typeof value === "number" ? value : null);

/** Who acted, where the item says: an admin, or whoever moderated or cancelled. */
function actorOf(item: TimelineItem): string | null {
  const actor = text(item.ref.actor) ?? text(item.ref.moderated_by) ?? text(item.ref.cancelled_by);
  return actor ? formatActor(actor) : null;
}

function Notes({ item }: { item: TimelineItem }) {
  const pending = text(item.ref.pending_until);
  const uncollected = count(item.ref.uncollected_points);
  return (
    <>
      {pending && new Date(pending) > new Date() && (
        <Text as="span" variant="bodySm" tone="caution">
          Pending until {formatDateTime(pending)}
        </Text>
      )}
      {uncollected ? (
        <Text as="span" variant="bodySm" tone="subdued">
          {formatPoints(uncollected)} could not be taken back
        </Text>
      ) : null}
    </>
  );
}

/** A ledger entry as the reversal dialog takes it. */
function reversible(item: TimelineItem): Reversible {
  return {
    id: Number(item.ref.id),
    action: item.summary,
    points: item.points ?? 0,
    type: text(item.ref.type) ?? "",
  };
}

export function CustomerTimeline({ customerId }: { customerId: string }) {
  const [tab, setTab] = useState(0);
  const kind = KIND_TABS[tab].kind;
  const page = usePagedQuery<TimelineItem>(`/api/customers/${encode(customerId)}/activities`, {
    limit: 25,
    from: ALL_TIME,
    kind,
  });
  const [reversing, setReversing] = useState<Reversible | null>(null);
  const unavailable = (page.data as { unavailable?: string[] } | undefined)?.unavailable ?? [];
  // Newest first: a reversal is on the page before the entry it reverses.
  const reversed = new Set(page.items.map((item) => item.ref.reverses_activity_id).filter((id) => id != null));
  return (
    <>
      <PagedIndexTable
        title="History"
        what="The history"
        resourceName={{ singular: "event", plural: "events" }}
        headings={[
          { title: "Event" },
          { title: "Kind" },
          { title: "Points", alignment: "end" },
          { title: "Balance", alignment: "end" },
          { title: "Date" },
          { title: "By" },
          { title: "Actions", hidden: true },
        ]}
        page={page}
        filters={
          <>
            <FeedFilters tabs={KIND_TABS} selected={tab} onSelect={setTab} />
            {unavailable.length > 0 && (
              <Box padding="400">
                <Banner tone="warning" title="Part of the history is missing">
                  <p>Not answering right now: {unavailable.join(", ")}. Try again shortly.</p>
                </Banner>
              </Box>
            )}
          </>
        }
        empty={{
          title: "Nothing here yet",
          description: "Points, referrals, reviews and admin actions appear here as they happen.",
        }}
        row={(item, index) => {
          const balance = count(item.ref.balance_after);
          // Only ledger entries ("points:<id>") can be reversed; a tier change is of kind points too.
          const canReverse =
            item.id.startsWith("points:") &&
            item.points !== 0 &&
            !item.ref.reverses_activity_id &&
            !reversed.has(item.ref.id);
          return (
            <IndexTable.Row id={item.id} key={item.id} position={index}>
              <IndexTable.Cell>
                <BlockStack gap="050">
                  <Text as="span">{item.summary}</Text>
                  <Notes item={item} />
                </BlockStack>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Badge>{KIND_LABELS[item.kind]}</Badge>
              </IndexTable.Cell>
              <IndexTable.Cell>
                {item.points != null && (
                  <Text
                    as="span"
                    alignment="end"
                    numeric
                    tone={item.kind !== "points" ? undefined : item.points < 0 ? "critical" : "success"}
                  >
                    {formatSignedPoints(item.points)}
                  </Text>
                )}
              </IndexTable.Cell>
              <IndexTable.Cell>
                {balance != null && (
                  <Text as="span" alignment="end" numeric>
                    {formatNumber(balance)}
                  </Text>
                )}
              </IndexTable.Cell>
              <IndexTable.Cell>
                <When at={item.occurred_at} />
              </IndexTable.Cell>
              <IndexTable.Cell>{actorOf(item)}</IndexTable.Cell>
              <IndexTable.Cell>
                {canReverse && (
                  <div className="row-action">
                    <Button
                      size="slim"
                      variant="tertiary"
                      onClick={() => setReversing(reversible(item))}
                      accessibilityLabel={`Reverse ${item.summary}`}
                    >
                      Reverse
                    </Button>
                  </div>
                )}
              </IndexTable.Cell>
            </IndexTable.Row>
          );
        }}
      />
      {reversing && <ReverseModal activity={reversing} onClose={() => setReversing(null)} />}
    </>
  );
}
