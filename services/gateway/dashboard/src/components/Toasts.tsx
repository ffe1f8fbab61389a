import { Toast } from "@shopify/polaris";
import { createContext, useCallback, useContext, useState, type ReactNode } from "react";

type ShowToast = (message: string, options?: { error?: boolean }) => void;
type Shown = { id: number; message: string; error: boolean };

const ToastContext = createContext<ShowToast>(() => undefined);

/** A Polaris Toast after every action ("Points adjusted"); rendered inside
 * the Frame, which Toast needs. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Shown[]>([]);
  const show = useCallback<ShowToast>((message, options) => {
    setToasts((shown) => [...shown, { id: Date.now() + Math.random(), message, error: Boolean(options?.error) }]);
  }, []);
  const dismiss = (id: number) => setToasts((shown) => shown.filter((toast) => toast.id !== id));
  return (
    <ToastContext.Provider value={show}>
      {children}
      {toasts.map((toast) => (
        <Toast key={toast.id} content={toast.message} error={toast.error} onDismiss={() => dismiss(toast.id)} />
      ))}
    </ToastContext.Provider>
  );
}

export const useToast = (): ShowToast => useContext(ToastContext);
