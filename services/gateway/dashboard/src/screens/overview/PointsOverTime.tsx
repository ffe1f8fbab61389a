import { SkeletonBodyText } from "@shopify/polaris";
import { lazy, Suspense } from "react";

import { Nothing, Section, type PartProps } from "./parts";

const PointsChart = lazy(() => import("./PointsChart"));

/** The chart's card: earned vs redeemed vs expired, per day. */
export function PointsOverTime({ overview }: PartProps) {
  return (
    <Section
      title="Points earned, redeemed and expired"
      subtitle="Per day of the period"
      link={{ url: "/points", label: "View point activities" }}
      service="points"
      what="Point totals"
      overview={overview}
      skeletonLines={8}
    >
      {({ series }) =>
        series.every((day) => !day.earned && !day.redeemed && !day.expired) ? (
          <Nothing>
            No points were earned, redeemed or expired in this period. Try a longer date range, or add rewards customers
            can spend their points on.
          </Nothing>
        ) : (
          <Suspense fallback={<SkeletonBodyText lines={8} />}>
            <PointsChart series={series} />
          </Suspense>
        )
      }
    </Section>
  );
}
