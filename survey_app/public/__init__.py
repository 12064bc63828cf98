"""The citizen's side: the form a counter's QR code opens, the thank-you page, and a
dossier's invitation (``/h/<token>``, ``/ho-so/<token>``, "Tôi có mã hồ sơ")."""

from survey_app.public import invitations as invitations  # registers its routes on bp
from survey_app.public.views import bp

__all__ = ["bp"]
