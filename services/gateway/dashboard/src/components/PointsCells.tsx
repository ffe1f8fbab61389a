import { IndexTable, Text } from "@shopify/polaris";

import { formatNumber, formatSignedPoints } from "../format";
import type { Activity } from "../types";

/** A ledger row's two number columns: the movement (+/−) and the balance after it. */
export function PointsCells({ activity }: { activity: Activity }) {
  return (
    <>
      <IndexTable.Cell>
        <Text as="span" alignment="end" numeric tone={activity.points < 0 ? "critical" : "success"}>
          {formatSignedPoints(activity.points)}
        </Text>
      </IndexTable.Cell>
      <IndexTable.Cell>
        <Text as="span" alignment="end" numeric>
          {formatNumber(activity.balance_after)}
        </Text>
      </IndexTable.Cell>
    </>
  );
}
