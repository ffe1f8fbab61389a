import { BlockStack, Card, InlineGrid, SkeletonBodyText, SkeletonDisplayText, Text } from "@shopify/polaris";

import { UnavailableBanner } from "../../components/ErrorBanner";
import { formatNumber, formatSignedPoints } from "../../format";
import type { Overview } from "../../types";
import type { PartProps } from "./parts";

type Figure = {
  label: string;
  total: keyof Overview["totals"];
  help: string;
  signed?: boolean;
};

// SPEC §7's point totals, in the order a merchant reads them; what each
// counts is docs/overview.md.
const FIGURES: Figure[] = [
  { label: "Points earned", total: "points_earned", help: "From orders, sign-ups, birthdays, referrals and reviews" },
  { label: "Points redeemed", total: "points_redeemed", help: "Spent on rewards" },
  { label: "Points refunded", total: "points_refunded", help: "Taken back with refunded orders" },
  { label: "Points expired", total: "points_expired", help: "Left unused past the expiry" },
  { label: "Points adjusted", total: "points_adjusted", help: "Added or removed by hand", signed: true },
  { label: "New members", total: "new_members", help: "Joined the program" },
  { label: "Active members", total: "active_members", help: "Members not excluded, at the end of the period" },
  { label: "Outstanding points", total: "outstanding_points", help: "Members' balances at the end of the period" },
];

function FigureCard({ figure, overview }: { figure: Figure; overview: Overview | undefined }) {
  const value = overview?.totals[figure.total] as number | null | undefined;
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h3" variant="headingSm">
          {figure.label}
        </Text>
        {value === undefined ? (
          <SkeletonDisplayText size="medium" />
        ) : (
          <Text as="p" variant="headingXl" numeric>
            {value === null ? "—" : figure.signed ? formatSignedPoints(value) : formatNumber(value)}
          </Text>
        )}
        {value === undefined ? (
          <SkeletonBodyText lines={1} />
        ) : (
          <Text as="p" variant="bodySm" tone="subdued">
            {figure.help}
          </Text>
        )}
      </BlockStack>
    </Card>
  );
}

/** The KPI cards: the period's point movements and membership. */
export function KeyFigures({ overview }: PartProps) {
  if (overview?.unavailable.includes("points")) return <UnavailableBanner what="Point totals" />;
  return (
    <InlineGrid columns={{ xs: 2, md: 4 }} gap="400">
      {FIGURES.map((figure) => (
        <FigureCard key={figure.total} figure={figure} overview={overview} />
      ))}
    </InlineGrid>
  );
}
