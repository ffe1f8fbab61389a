import { Badge } from "@shopify/polaris";

import { capitalize } from "../format";

type Tone = "success" | "attention" | "critical" | "info" | "warning" | undefined;

const TONES: Record<string, Tone> = {
  active: "success",
  excluded: "critical",
  pending: "attention",
  completed: "success",
  cancelled: undefined,
  approved: "success",
  rejected: "critical",
  used: "info",
  voided: "critical",
  inactive: undefined,
  paused: "attention",
  disabled: "critical",
  running: "info",
  done: "success",
  failed: "critical",
};

/** A status as Polaris shows one ("Pending", yellow). */
export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={TONES[status]}>{capitalize(status)}</Badge>;
}

export function AdjustmentBadge() {
  return <Badge tone="info">Adjusted</Badge>;
}
