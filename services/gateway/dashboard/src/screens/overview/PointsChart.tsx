// Shopify's own chart library, in a chunk of its own: Vite loads it only
// when the overview draws the chart, so the other screens don't wait for it.
import "@shopify/polaris-viz/build/esm/styles.css";

import { BlockStack, InlineStack, Text } from "@shopify/polaris";
import { BarChart, PolarisVizProvider } from "@shopify/polaris-viz";

import { formatNumber, formatShortDay } from "../../format";
import type { Overview } from "../../types";

const SERIES = [
  { name: "Earned", key: "earned", color: "#13ACF0" },
  { name: "Redeemed", key: "redeemed", color: "#6A42E9" },
  { name: "Expired", key: "expired", color: "#E8772E" },
] as const;

/** Points earned, redeemed and expired per day of the range, a bar each.
 *
 * Polaris Viz's chart is for the eyes only (`aria-hidden`): its SVG and its
 * legend carry list roles without list items, which screen readers read as
 * broken lists (axe: aria-required-children). Assistive technology gets
 * the same numbers as a table instead, and the legend is ours. */
export default function PointsChart({ series }: { series: Overview["series"] }) {
  const data = SERIES.map(({ name, key, color }) => ({
    name,
    color,
    data: series.map((day) => ({ key: day.date, value: day[key] })),
  }));
  const activeDays = series.filter((day) => day.earned || day.redeemed || day.expired);
  return (
    <PolarisVizProvider defaultTheme="Light">
      <BlockStack gap="300">
        <div className="points-chart" aria-hidden="true">
          <BarChart
            data={data}
            showLegend={false}
            xAxisOptions={{ labelFormatter: (day) => formatShortDay(String(day)) }}
            yAxisOptions={{ labelFormatter: (value) => formatNumber(Number(value)), integersOnly: true }}
          />
        </div>
        <div aria-hidden="true">
          {/* Past a couple of weeks the bars are too narrow for Polaris Viz
              to label each day (hovering a day names it): the ends of the range. */}
          {series.length > 14 && (
            <InlineStack align="space-between">
              <Text as="span" variant="bodySm" tone="subdued">
                {formatShortDay(series[0].date)}
              </Text>
              <Text as="span" variant="bodySm" tone="subdued">
                {formatShortDay(series[series.length - 1].date)}
              </Text>
            </InlineStack>
          )}
        </div>
        <div aria-hidden="true">
          <InlineStack gap="400" align="center">
            {SERIES.map(({ name, key }) => (
              <InlineStack key={key} gap="150" blockAlign="center" wrap={false}>
                <span className={`chart-swatch chart-swatch-${key}`} />
                <Text as="span" variant="bodySm">
                  {name}
                </Text>
              </InlineStack>
            ))}
          </InlineStack>
        </div>
        <table className="visually-hidden">
          <caption>Points earned, redeemed and expired per day (days with none left out)</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {SERIES.map(({ name, key }) => (
                <th scope="col" key={key}>
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {activeDays.map((day) => (
              <tr key={day.date}>
                <th scope="row">{formatShortDay(day.date)}</th>
                {SERIES.map(({ key }) => (
                  <td key={key}>{formatNumber(day[key] ?? 0)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </BlockStack>
    </PolarisVizProvider>
  );
}
