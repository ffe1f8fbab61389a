import { Banner, BlockStack, Modal } from "@shopify/polaris";
import { useState, type ReactNode } from "react";

import { ApiError, newIdempotencyKey } from "../api";
import { useToast } from "./Toasts";

/** A 422's messages by field ("points", "vip_tiers.0.name"). */
export type FieldErrors = Record<string, string>;

export function fieldErrorsOf(error: unknown): FieldErrors {
  const errors: FieldErrors = {};
  if (error instanceof ApiError) for (const { field, message } of error.fieldErrors) if (field) errors[field] = message;
  return errors;
}

type Props = {
  title: string;
  /** The button that acts ("Adjust points"). */
  actionLabel: string;
  /** What the Toast says when it worked. */
  doneMessage: string | ((result: unknown) => string);
  destructive?: boolean;
  cancelLabel?: string;
  disabled?: boolean;
  onClose: () => void;
  /** Does the work with this opening's Idempotency-Key; returns what the
   * API answered. The dialog closes when it resolves, unless `showResult`
   * renders something from it. */
  onSubmit: (idempotencyKey: string) => Promise<unknown>;
  showResult?: (result: unknown) => ReactNode;
  children: (errors: FieldErrors) => ReactNode;
};

/** The dialog of every merchant action. Mount it to open it: each opening
 * gets a new Idempotency-Key, and every retry inside it (after an error, or
 * a second press while the first answer was lost) reuses it, so the action
 * takes effect once. The API's refusal is shown in the dialog, the field
 * messages of a 422 beside their fields. */
export function ActionModal(props: Props) {
  const [idempotencyKey] = useState(newIdempotencyKey);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<{ value: unknown } | null>(null);
  const toast = useToast();

  const submit = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const value = await props.onSubmit(idempotencyKey);
      const message = props.doneMessage;
      toast(typeof message === "function" ? message(value) : message);
      if (props.showResult) setResult({ value });
      else props.onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const fieldErrors = fieldErrorsOf(error);
  const message = error instanceof Error ? error.message : error ? String(error) : null;
  return (
    <Modal
      open
      title={props.title}
      onClose={props.onClose}
      primaryAction={
        result
          ? undefined
          : {
              content: props.actionLabel,
              destructive: props.destructive,
              loading: busy,
              disabled: props.disabled,
              onAction: submit,
            }
      }
      secondaryActions={[{ content: result ? "Done" : (props.cancelLabel ?? "Cancel"), onAction: props.onClose }]}
    >
      <Modal.Section>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!props.disabled && !result) void submit();
          }}
        >
          <BlockStack gap="400">
            {message && (
              <Banner tone="critical" title={`${props.actionLabel} did not work`}>
                <p>{message}</p>
              </Banner>
            )}
            {result && props.showResult ? props.showResult(result.value) : props.children(fieldErrors)}
            {/* Enter in a field submits, as in every Polaris form. */}
            <button type="submit" hidden />
          </BlockStack>
        </form>
      </Modal.Section>
    </Modal>
  );
}
