import {
  Banner,
  BlockStack,
  Button,
  Card,
  FormLayout,
  InlineGrid,
  Layout,
  Page,
  Select,
  SkeletonBodyText,
  Text,
  TextField,
} from "@shopify/polaris";
import { DeleteIcon, PlusIcon } from "@shopify/polaris-icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";

import { getJson, send } from "../api";
import { useShopCurrency } from "../auth";
import { fieldErrorsOf, type FieldErrors } from "../components/ActionModal";
import { ErrorBanner } from "../components/ErrorBanner";
import { useToast } from "../components/Toasts";
import { currencySymbol, formatMoney } from "../format";
import type { Program } from "../types";

const POINT_FIELDS = [
  "signup_points",
  "birthday_points",
  "review_points",
  "photo_review_bonus_points",
  "google_review_points",
  "referrer_reward_points",
] as const;

type Draft = Record<
  (typeof POINT_FIELDS)[number] | "points_per_currency_unit" | "pending_days" | "expiry_days",
  string
> & {
  rounding: Program["rounding"];
  coupon_type: Program["referee_coupon"]["type"];
  coupon_value: string;
  tiers: { name: string; threshold: string }[];
};

function draftOf(program: Program): Draft {
  return {
    points_per_currency_unit: program.points_per_currency_unit,
    rounding: program.rounding,
    pending_days: String(program.pending_days),
    expiry_days: program.expiry_days == null ? "" : String(program.expiry_days),
    ...(Object.fromEntries(POINT_FIELDS.map((f) => [f, String(program[f])])) as Record<
      (typeof POINT_FIELDS)[number],
      string
    >),
    coupon_type: program.referee_coupon.type,
    coupon_value: program.referee_coupon.value,
    tiers: program.vip_tiers.map((t) => ({ name: t.name, threshold: String(t.threshold) })),
  };
}

// A whole number as typed; what is not one goes to the API as is, whose
// 422 then names the field.
const integer = (text: string): number | string | null =>
  text.trim() === "" ? null : /^-?\d+$/.test(text.trim()) ? Number(text) : text;

function programOf(draft: Draft): Program {
  return {
    points_per_currency_unit: draft.points_per_currency_unit.trim(),
    rounding: draft.rounding,
    pending_days: integer(draft.pending_days),
    expiry_days: integer(draft.expiry_days),
    ...Object.fromEntries(POINT_FIELDS.map((f) => [f, integer(draft[f])])),
    referee_coupon: { type: draft.coupon_type, value: draft.coupon_value.trim() },
    vip_tiers: draft.tiers.map((t) => ({ name: t.name.trim(), threshold: integer(t.threshold) })),
  } as unknown as Program;
}

function Section({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  return (
    <Layout.AnnotatedSection title={title} description={description}>
      <Card>
        <FormLayout>{children}</FormLayout>
      </Card>
    </Layout.AnnotatedSection>
  );
}

function ProgramForm({ program }: { program: Program }) {
  const [draft, setDraft] = useState(() => draftOf(program));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const queries = useQueryClient();
  const toast = useToast();
  const currency = useShopCurrency();
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const setTier = (index: number, key: "name" | "threshold") => (value: string) =>
    setDraft((d) => ({ ...d, tiers: d.tiers.map((t, i) => (i === index ? { ...t, [key]: value } : t)) }));
  const field = (name: keyof Draft, label: string, help?: string, suffix = "points") => (
    <TextField
      label={label}
      type="number"
      autoComplete="off"
      value={draft[name] as string}
      onChange={set(name) as (value: string) => void}
      error={errors[name]}
      helpText={help}
      suffix={suffix}
    />
  );

  const save = async () => {
    setSaving(true);
    setErrors({});
    setFailure(null);
    try {
      const saved = await send<Program>("PUT", "/api/program", { json: programOf(draft) });
      queries.setQueryData(["/api/program"], saved);
      setDraft(draftOf(saved));
      toast("Program settings saved");
    } catch (error) {
      setErrors(fieldErrorsOf(error));
      setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setSaving(false);
    }
  };

  const tierErrors = Object.entries(errors).filter(([name]) => name === "vip_tiers");
  return (
    <Page
      title="Program settings"
      subtitle="How customers earn points, when points expire, and the VIP tiers"
      primaryAction={{ content: "Save", onAction: save, loading: saving }}
    >
      <BlockStack gap="400">
        {failure && (
          <Banner tone="critical" title="The settings were not saved">
            <p>{failure}</p>
            {Object.keys(errors).length > 0 && <p>Fix the fields marked below, then save again.</p>}
          </Banner>
        )}
        <Layout>
          <Section title="Earning" description="Points for every order and for signing up or a birthday.">
            <TextField
              label="Points per currency unit"
              type="number"
              autoComplete="off"
              value={draft.points_per_currency_unit}
              onChange={set("points_per_currency_unit")}
              error={errors.points_per_currency_unit}
              helpText={`Points for each ${formatMoney(1, currency)} of an order's subtotal.`}
            />
            <Select
              label="Rounding"
              options={[
                { value: "floor", label: "Round down" },
                { value: "round", label: "Round to nearest (half up)" },
                { value: "ceil", label: "Round up" },
              ]}
              value={draft.rounding}
              onChange={(value) => set("rounding")(value as Program["rounding"])}
              error={errors.rounding}
            />
            <FormLayout.Group>
              {field("signup_points", "Sign-up bonus")}
              {field("birthday_points", "Birthday bonus")}
            </FormLayout.Group>
          </Section>
          <Section title="Reviews" description="Points for approved product reviews and Google reviews.">
            <FormLayout.Group>
              {field("review_points", "Review")}
              {field("photo_review_bonus_points", "Photo review bonus", "On top of the review's points.")}
            </FormLayout.Group>
            {field("google_review_points", "Google review")}
          </Section>
          <Section title="Referrals" description="The referrer's reward and the friend's welcome coupon.">
            {field(
              "referrer_reward_points",
              "Referrer reward",
              "When the friend's first order completes the referral.",
            )}
            <FormLayout.Group>
              <Select
                label="Welcome coupon"
                options={[
                  { value: "fixed", label: "Fixed amount off" },
                  { value: "percentage", label: "Percentage off" },
                ]}
                value={draft.coupon_type}
                onChange={(value) => set("coupon_type")(value as Draft["coupon_type"])}
                error={errors["referee_coupon.type"]}
              />
              <TextField
                label="Coupon value"
                type="number"
                autoComplete="off"
                value={draft.coupon_value}
                onChange={set("coupon_value")}
                error={errors["referee_coupon.value"] ?? errors.referee_coupon}
                prefix={draft.coupon_type === "percentage" ? undefined : currencySymbol(currency)}
                suffix={draft.coupon_type === "percentage" ? "%" : undefined}
              />
            </FormLayout.Group>
          </Section>
          <Section title="Pending and expiry" description="Points wait out the return window, and can expire.">
            <FormLayout.Group>
              {field("pending_days", "Return window", "Order points become spendable after this.", "days")}
              {field("expiry_days", "Points expire after", "Leave empty for points that never expire.", "days")}
            </FormLayout.Group>
          </Section>
          <Section title="VIP tiers" description="A customer's tier follows their lifetime earned points.">
            {draft.tiers.map((tier, index) => (
              <InlineGrid key={index} columns="1fr 1fr auto" gap="200" alignItems="end">
                <TextField
                  label="Tier name"
                  autoComplete="off"
                  value={tier.name}
                  onChange={setTier(index, "name")}
                  error={errors[`vip_tiers.${index}.name`]}
                />
                <TextField
                  label="Lifetime points"
                  type="number"
                  autoComplete="off"
                  value={tier.threshold}
                  onChange={setTier(index, "threshold")}
                  error={errors[`vip_tiers.${index}.threshold`]}
                />
                <Button
                  icon={DeleteIcon}
                  accessibilityLabel={`Remove tier ${tier.name || index + 1}`}
                  onClick={() => setDraft((d) => ({ ...d, tiers: d.tiers.filter((_, i) => i !== index) }))}
                />
              </InlineGrid>
            ))}
            {!draft.tiers.length && (
              <Text as="p" tone="subdued">
                No tiers: every customer is in the same program.
              </Text>
            )}
            {tierErrors.map(([name, message]) => (
              <Text as="p" tone="critical" key={name}>
                {message}
              </Text>
            ))}
            <Button
              icon={PlusIcon}
              onClick={() => setDraft((d) => ({ ...d, tiers: [...d.tiers, { name: "", threshold: "" }] }))}
            >
              Add tier
            </Button>
          </Section>
        </Layout>
      </BlockStack>
    </Page>
  );
}

export function ProgramSettings() {
  const program = useQuery({ queryKey: ["/api/program"], queryFn: () => getJson<Program>("/api/program") });
  if (program.isPending)
    return (
      <Page title="Program settings">
        <Card>
          <SkeletonBodyText lines={10} />
        </Card>
      </Page>
    );
  if (program.isError)
    return (
      <Page title="Program settings">
        <ErrorBanner what="Program settings" error={program.error} onRetry={() => void program.refetch()} />
      </Page>
    );
  return <ProgramForm program={program.data} />;
}
