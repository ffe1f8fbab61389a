// The API reference at /docs: Swagger UI (vendored in swagger_ui/, no CDN)
// showing the gateway's own /openapi.json. A script file, not inline, as
// the page's Content-Security-Policy allows only this origin's scripts.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // No request leaves for swagger.io's online validator.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
