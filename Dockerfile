# One image for every part of the system; the command picks the part:
#   loyalty serve points|referrals|reviews|gateway   (applies that service's migrations on start)
#   loyalty setup-broker                             (declares every queue, then exits)
# The official image by default; deploy/local-images.sh makes a stand-in
# under the same name where it cannot be pulled.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the pins change.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY loyalty ./loyalty
# Editable, so each service's migrations/ folder (not a Python package) is
# read from the source tree; --no-deps: everything is pinned above.
RUN pip install --no-deps --no-build-isolation -e .

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin loyalty \
    && mkdir -p /app/var && chown loyalty:loyalty /app/var
USER loyalty
# Only used when no <SERVICE>_DATABASE_URL is set (SQLite files).
ENV LOYALTY_DATA_DIR=/app/var

ENTRYPOINT ["loyalty"]
CMD ["--help"]
