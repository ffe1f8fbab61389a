import { createContext, useContext, useState, type ReactNode } from "react";

import { DEFAULT_RANGE_ID, presetRange, type DateRange } from "../dateRange";

type RangeState = { range: DateRange; setRange: (range: DateRange) => void };

const RangeContext = createContext<RangeState | null>(null);

/** One range for the overview and every feed: a merchant who picks "Last 7
 * days" keeps it while moving between them. */
export function DateRangeProvider({ children }: { children: ReactNode }) {
  const [range, setRange] = useState(() => presetRange(DEFAULT_RANGE_ID));
  return <RangeContext.Provider value={{ range, setRange }}>{children}</RangeContext.Provider>;
}

export function useDateRange(): RangeState {
  const state = useContext(RangeContext);
  if (!state) throw new Error("useDateRange outside DateRangeProvider");
  return state;
}
