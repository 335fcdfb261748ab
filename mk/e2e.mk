# End-to-end browser tests use Debian's Chromium (no browser download) and CJK fonts for screenshots.
# Included from the Makefile; `make test` depends on e2e-system-deps.
.PHONY: e2e-system-deps

e2e-system-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=zh | grep -qi noto || { \
	  apt-get update && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends \
	    chromium chromium-driver fonts-noto-cjk; }
