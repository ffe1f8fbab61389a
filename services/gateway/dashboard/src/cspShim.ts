// Polaris' AppProvider measures the scrollbar's width with
// `element.setAttribute("style", …)`, which the dashboard's Content-Security-
// Policy (`style-src 'self'`, no inline styles) blocks. The same declarations
// set through the CSSOM are not inline markup and are allowed: style
// attributes set from script go there instead.
const setAttribute = Element.prototype.setAttribute;

Element.prototype.setAttribute = function (this: Element, name: string, value: string): void {
  if (name.toLowerCase() === "style" && this instanceof HTMLElement) {
    this.style.cssText = value;
    return;
  }
  setAttribute.call(this, name, value);
};
