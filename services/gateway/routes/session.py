"""The dashboard's sign-in when it is not embedded in the Shopify admin: a
key typed once into the form becomes an HttpOnly session cookie, and the
page sends the session's CSRF token with every write (auth.py)."""

from services.gateway import access
from services.gateway.api_doc import admin, public
from services.gateway.auth import admin_route, sign_in_key, with_session_cookie
from services.gateway.routes.base import Routes
from services.gateway.schemas import SignedIn, SignedOut, SignInRequest
from services.gateway.web import json_http, json_response


class SessionRoutes(Routes):
    @json_http("POST", "/api/session", public(SignedIn, status=201, body=SignInRequest, errors=(401, 503)))
    def sign_in(self, request):
        session_id, caller = access.open_session(self.db, sign_in_key(request))
        return with_session_cookie(json_response(access.signed_in(self.db, caller), 201), request, session_id)

    @json_http("GET", "/api/session", admin(SignedIn))
    @admin_route
    def signed_in(self, request, caller):
        """Who the page acts as, and (for a cookie session) its CSRF token:
        a page loaded again asks for it, as only this origin can read it."""
        return access.signed_in(self.db, caller)

    @json_http("DELETE", "/api/session", admin(SignedOut))
    @admin_route
    def sign_out(self, request, caller):
        access.close_session(self.db, caller)
        return with_session_cookie(json_response({"signed_in": False}), request, None)
