// Importing balances from a CSV file (SPEC §7 "Importing balances"): the
// upload, one import's progress, and the recent imports.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";

import { getJson, send } from "../../api";
import type { PointsImport, PointsImportSummary } from "../../types";

export const IMPORTS = "/api/imports";

/** The gateway refuses a larger file (413); the page says so before
 * sending it rather than upload it all to be refused. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** The newest 20 imports; while one is running, looked at again every 2 s
 * so its badge changes when it finishes. */
export const useRecentImports = () =>
  useQuery({
    queryKey: [IMPORTS],
    queryFn: () => getJson<{ items: PointsImportSummary[] }>(IMPORTS),
    refetchInterval: (query) => (query.state.data?.items.some((item) => item.status === "running") ? 2000 : false),
  });

/** One import, looked at every second while its rows are applied; once it
 * has finished the list is asked again. */
export function useImport(id: string | undefined) {
  const queries = useQueryClient();
  const found = useQuery({
    queryKey: [IMPORTS, id],
    queryFn: () => getJson<PointsImport>(`${IMPORTS}/${id}`),
    enabled: Boolean(id),
    staleTime: 0,
    refetchInterval: (query) => (query.state.data?.status === "running" ? 1000 : false),
  });
  const status = found.data?.status;
  useEffect(() => {
    if (status && status !== "running") void queries.invalidateQueries({ queryKey: [IMPORTS], exact: true });
  }, [status, queries]);
  return found;
}

/** Sends the file as it is, named, so the list can show which file it was.
 * The same file again answers with the import it already made. */
export function useUpload() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (file: File) =>
      send<{ id: string }>("POST", `${IMPORTS}/points`, {
        query: { file_name: file.name },
        upload: { body: file, contentType: "text/csv" },
      }),
    onSuccess: () => queries.invalidateQueries({ queryKey: [IMPORTS], exact: true }),
  });
}
