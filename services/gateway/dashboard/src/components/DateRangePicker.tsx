import {
  BlockStack,
  Box,
  Button,
  DatePicker,
  InlineGrid,
  InlineStack,
  OptionList,
  Popover,
  Text,
} from "@shopify/polaris";
import { CalendarIcon } from "@shopify/polaris-icons";
import { useState } from "react";

import { customRange, presetRange, PRESETS } from "../dateRange";
import { useDateRange } from "./DateRangeContext";

const CUSTOM = "custom";

/** The "Last 30 days" button of Shopify's analytics: presets on the left, a
 * calendar for a custom range, Apply to use it. */
export function DateRangePicker() {
  const { range, setRange } = useDateRange();
  const [open, setOpen] = useState(false);
  const [choice, setChoice] = useState(range.presetId ?? CUSTOM);
  const [picked, setPicked] = useState({ start: range.start, end: range.end ?? new Date() });
  const [month, setMonth] = useState({ month: picked.end.getMonth(), year: picked.end.getFullYear() });

  const choose = (id: string) => {
    setChoice(id);
    if (id !== CUSTOM) {
      const preset = presetRange(id);
      setPicked({ start: preset.start, end: preset.end ?? new Date() });
    }
  };
  const apply = () => {
    setRange(choice === CUSTOM ? customRange(picked.start, picked.end) : presetRange(choice));
    setOpen(false);
  };

  const activator = (
    <Button
      icon={CalendarIcon}
      onClick={() => setOpen((shown) => !shown)}
      disclosure
      accessibilityLabel={`Date range: ${range.label}`}
    >
      {range.label}
    </Button>
  );
  // Cards run edge to edge on a phone; the button keeps the page's margin.
  return (
    <Box paddingInlineStart={{ xs: "400", sm: "0" }}>
      <Popover
        active={open}
        activator={activator}
        onClose={() => setOpen(false)}
        preferredAlignment="left"
        fluidContent
      >
        <Popover.Pane fixed>
          <InlineGrid columns={{ xs: 1, md: "max-content 1fr" }}>
            <Box minWidth="180px">
              <OptionList
                title="Date range"
                options={[
                  ...PRESETS.map((p) => ({ value: p.id, label: p.label })),
                  { value: CUSTOM, label: "Custom range" },
                ]}
                selected={[choice]}
                onChange={([id]) => choose(id)}
              />
            </Box>
            <Box padding="400" maxWidth="600px">
              <BlockStack gap="300">
                <Text as="p" variant="bodySm" tone="subdued">
                  Pick the first and the last day.
                </Text>
                <DatePicker
                  month={month.month}
                  year={month.year}
                  onMonthChange={(m, y) => setMonth({ month: m, year: y })}
                  selected={picked}
                  onChange={(selected) => {
                    setChoice(CUSTOM);
                    setPicked(selected);
                  }}
                  disableDatesAfter={new Date()}
                  allowRange
                />
              </BlockStack>
            </Box>
          </InlineGrid>
        </Popover.Pane>
        <Popover.Pane fixed>
          <Box padding="300" borderBlockStartWidth="025" borderColor="border">
            <InlineStack align="end" gap="200">
              <Button onClick={() => setOpen(false)}>Cancel</Button>
              <Button variant="primary" onClick={apply}>
                Apply
              </Button>
            </InlineStack>
          </Box>
        </Popover.Pane>
      </Popover>
    </Box>
  );
}
