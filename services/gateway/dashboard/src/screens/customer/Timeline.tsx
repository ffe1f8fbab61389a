import { BlockStack, Button, IndexTable, Text } from "@shopify/polaris";
import { useState } from "react";

import { encode } from "../../api";
import { PagedIndexTable } from "../../components/IndexPage";
import { PointsCells } from "../../components/PointsCells";
import { usePagedQuery } from "../../components/usePagedQuery";
import { When } from "../../components/When";
import { formatActor, formatDateTime, formatPoints } from "../../format";
import type { Activity } from "../../types";
import { ReverseModal } from "./actions";

// The customer's points ledger, all time. GET /api/customers/{id}/activities
// becomes the merged timeline (SPEC §7) with issue 10; this module is the
// one that then shows referral, review and admin events beside points.

function Notes({ activity }: { activity: Activity }) {
  const pendingUntil =
    activity.pending_until && new Date(activity.pending_until) > new Date() ? activity.pending_until : null;
  return (
    <>
      {pendingUntil && (
        <Text as="span" variant="bodySm" tone="caution">
          Pending until {formatDateTime(pendingUntil)}
        </Text>
      )}
      {activity.uncollected_points ? (
        <Text as="span" variant="bodySm" tone="subdued">
          {formatPoints(activity.uncollected_points)} could not be taken back
        </Text>
      ) : null}
    </>
  );
}

export function PointsHistory({ customerId }: { customerId: string }) {
  const page = usePagedQuery<Activity>(`/api/customers/${encode(customerId)}/activities`, { limit: 25 });
  const [reversing, setReversing] = useState<Activity | null>(null);
  // Newest first: a reversal is on the page before the row it reverses.
  const reversed = new Set(page.items.map((a) => a.reverses_activity_id).filter((id) => id != null));
  return (
    <>
      <PagedIndexTable
        title="Points history"
        what="The points history"
        resourceName={{ singular: "activity", plural: "activities" }}
        headings={[
          { title: "Action" },
          { title: "Points", alignment: "end" },
          { title: "Balance", alignment: "end" },
          { title: "Date" },
          { title: "By" },
          { title: "Actions", hidden: true },
        ]}
        page={page}
        empty={{ title: "No points history yet", description: "Points earned, redeemed or adjusted appear here." }}
        row={(a, index) => (
          <IndexTable.Row id={String(a.id)} key={a.id} position={index}>
            <IndexTable.Cell>
              <BlockStack gap="050">
                <Text as="span">{a.action}</Text>
                <Notes activity={a} />
              </BlockStack>
            </IndexTable.Cell>
            <PointsCells activity={a} />
            <IndexTable.Cell>
              <When at={a.occurred_at} />
            </IndexTable.Cell>
            <IndexTable.Cell>{formatActor(a.actor)}</IndexTable.Cell>
            <IndexTable.Cell>
              {a.points !== 0 && !a.reverses_activity_id && !reversed.has(a.id) && (
                <div className="row-action">
                  <Button
                    size="slim"
                    variant="tertiary"
                    onClick={() => setReversing(a)}
                    accessibilityLabel={`Reverse ${a.action}`}
                  >
                    Reverse
                  </Button>
                </div>
              )}
            </IndexTable.Cell>
          </IndexTable.Row>
        )}
      />
      {reversing && <ReverseModal activity={reversing} onClose={() => setReversing(null)} />}
    </>
  );
}
