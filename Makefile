# livewatch: build the static release binary and install it as a systemd service.
#
#   make                        the release binary, Swift runtime and Foundation linked in
#   make install                as root: binary, unit, example configuration, logrotate rule,
#                               shell completions, man page (PREFIX=/usr/local, DESTDIR for staging)
#   make uninstall              removes what install put, never the configuration
#   make check                  the test suite
#   make install-test           installs into a temporary DESTDIR twice and checks the tree
#   make man                    regenerates docs/man/livewatch.1 (argument-parser's generate-manual)
#   make order                  regenerates link/livewatch.order, the functions laid out first (needs valgrind)
#
# Only libsqlite3, libz and the C and C++ runtime stay dynamic (`ldd $(BINARY)`).

PREFIX ?= /usr/local
# The unit's ConfigurationDirectory=, LoadCredential= and logrotate live under /etc.
SYSCONFDIR = /etc
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
BASHCOMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPLETIONDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPLETIONDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR ?=

SWIFT ?= swift
SCRATCH ?= .build-static
BINARY ?= $(SCRATCH)/release/livewatch
# A prebuilt binary can be installed without building: make install BINARY=path NO_BUILD=1
NO_BUILD ?=

CONFIG = $(DESTDIR)$(SYSCONFDIR)/livewatch/livewatch.yaml
LOGROTATE = $(DESTDIR)$(SYSCONFDIR)/logrotate.d/livewatch
INSTALLED = \
	$(DESTDIR)$(BINDIR)/livewatch \
	$(DESTDIR)$(UNITDIR)/livewatch.service \
	$(DESTDIR)$(MANDIR)/man1/livewatch.1 \
	$(DESTDIR)$(BASHCOMPLETIONDIR)/livewatch \
	$(DESTDIR)$(ZSHCOMPLETIONDIR)/_livewatch \
	$(DESTDIR)$(FISHCOMPLETIONDIR)/livewatch.fish

.PHONY: all build order install uninstall check install-test man clean

all: build

# Every function in a section of its own, and lld lays out first the ones the daemon runs (link/livewatch.order,
# from `make order`): the kernel maps code in 64 KB windows around each page touched, so the code a running
# daemon keeps resident shrinks from about 17 MB spread over the whole text to the few megabytes it uses.
ORDER_FLAGS = -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
	-Xlinker --symbol-ordering-file=$(CURDIR)/link/livewatch.order -Xlinker --no-warn-symbol-ordering

build:
	$(SWIFT) build -c release --static-swift-stdlib --product livewatch --scratch-path $(SCRATCH) $(ORDER_FLAGS) \
		$(LINK_EXTRA)

# Regenerates link/livewatch.order by tracing the release binary under callgrind (scripts/order-file.sh), with
# lld's map of it; then the next build relinks.
order:
	$(SWIFT) build -c release --product livewatch-bench
	rm -f $(BINARY)
	$(MAKE) build LINK_EXTRA="-Xlinker -Map=$(CURDIR)/$(SCRATCH)/livewatch.map"
	BINARY=$(BINARY) MAP=$(SCRATCH)/livewatch.map scripts/order-file.sh

install: $(if $(NO_BUILD),,build)
	install -D -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/livewatch
	install -d $(DESTDIR)$(UNITDIR)
	sed 's#/usr/local/bin/livewatch#$(BINDIR)/livewatch#g' systemd/livewatch.service \
		> $(DESTDIR)$(UNITDIR)/livewatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/livewatch.service
	install -D -m 0644 docs/man/livewatch.1 $(DESTDIR)$(MANDIR)/man1/livewatch.1
	install -d $(DESTDIR)$(BASHCOMPLETIONDIR) $(DESTDIR)$(ZSHCOMPLETIONDIR) $(DESTDIR)$(FISHCOMPLETIONDIR)
	$(BINARY) --generate-completion-script bash > $(DESTDIR)$(BASHCOMPLETIONDIR)/livewatch
	$(BINARY) --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPLETIONDIR)/_livewatch
	$(BINARY) --generate-completion-script fish > $(DESTDIR)$(FISHCOMPLETIONDIR)/livewatch.fish
	chmod 0644 $(DESTDIR)$(BASHCOMPLETIONDIR)/livewatch $(DESTDIR)$(ZSHCOMPLETIONDIR)/_livewatch \
		$(DESTDIR)$(FISHCOMPLETIONDIR)/livewatch.fish
	@# The configuration and the logrotate rule are the administrator's once installed: never overwritten.
	@if [ -e $(CONFIG) ]; then echo "kept $(CONFIG)"; \
	else install -D -m 0644 etc/livewatch.yaml $(CONFIG) && echo "installed $(CONFIG)"; fi
	@if [ -e $(LOGROTATE) ]; then echo "kept $(LOGROTATE)"; \
	else install -D -m 0644 etc/logrotate.d-livewatch $(LOGROTATE) && echo "installed $(LOGROTATE)"; fi

uninstall:
	rm -f $(INSTALLED)
	@# The logrotate rule goes only if it is still the one install put; the configuration always stays.
	@if [ -e $(LOGROTATE) ] && cmp -s etc/logrotate.d-livewatch $(LOGROTATE); then rm -f $(LOGROTATE); \
	elif [ -e $(LOGROTATE) ]; then echo "kept $(LOGROTATE) (changed)"; fi
	@if [ -e $(CONFIG) ]; then echo "kept $(CONFIG)"; fi

check:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Installs into a temporary DESTDIR, checks the tree, installs again over a changed configuration
# (which must stay), uninstalls (the configuration must stay, nothing else may).
install-test: $(if $(NO_BUILD),,build)
	@set -e; root=$$(mktemp -d); trap 'rm -rf "$$root"' EXIT; \
	fail() { echo "install-test: $$*"; exit 1; }; \
	$(MAKE) --no-print-directory install NO_BUILD=1 BINARY=$(BINARY) DESTDIR=$$root >/dev/null; \
	for file in $(patsubst $(DESTDIR)%,%,$(INSTALLED)) $(SYSCONFDIR)/livewatch/livewatch.yaml \
		$(SYSCONFDIR)/logrotate.d/livewatch; do \
		[ -s "$$root$$file" ] || fail "$$file missing or empty"; done; \
	"$$root$(BINDIR)/livewatch" --version || fail "the installed binary does not run"; \
	grep -qx 'ExecStart=$(BINDIR)/livewatch run --config $(SYSCONFDIR)/livewatch/livewatch.yaml' \
		"$$root$(UNITDIR)/livewatch.service" || fail "the unit's ExecStart does not follow PREFIX"; \
	grep -q '^complete .* livewatch$$' "$$root$(BASHCOMPLETIONDIR)/livewatch" || fail "no bash completion"; \
	grep -q '^#compdef livewatch' "$$root$(ZSHCOMPLETIONDIR)/_livewatch" || fail "no zsh completion"; \
	grep -q "^complete -c 'livewatch'" "$$root$(FISHCOMPLETIONDIR)/livewatch.fish" || fail "no fish completion"; \
	grep -q '^\.Dt LIVEWATCH 1' "$$root$(MANDIR)/man1/livewatch.1" || fail "no man page"; \
	if command -v systemd-analyze >/dev/null; then \
		mkdir "$$root/verify"; \
		sed 's#$(BINDIR)/livewatch#'"$$root"'$(BINDIR)/livewatch#g' "$$root$(UNITDIR)/livewatch.service" \
			> "$$root/verify/livewatch.service"; \
		complaints=$$(systemd-analyze verify "$$root/verify/livewatch.service" 2>&1 || true); \
		[ -z "$$complaints" ] || fail "systemd-analyze verify: $$complaints"; \
		rm -r "$$root/verify"; \
	fi; \
	echo "# the administrator's change" >> "$$root$(SYSCONFDIR)/livewatch/livewatch.yaml"; \
	cp "$$root$(SYSCONFDIR)/livewatch/livewatch.yaml" "$$root/expected.yaml"; \
	$(MAKE) --no-print-directory install NO_BUILD=1 BINARY=$(BINARY) DESTDIR=$$root >/dev/null; \
	cmp -s "$$root/expected.yaml" "$$root$(SYSCONFDIR)/livewatch/livewatch.yaml" \
		|| fail "a second install overwrote the configuration"; \
	$(MAKE) --no-print-directory uninstall DESTDIR=$$root >/dev/null; \
	rm "$$root/expected.yaml"; \
	left=$$(cd "$$root" && find . -type f | sort); \
	[ "$$left" = "./$(patsubst /%,%,$(SYSCONFDIR))/livewatch/livewatch.yaml" ] || fail "uninstall left: $$left"; \
	echo "install-test: ok ($(BINARY) installed under PREFIX=$(PREFIX), installed again, uninstalled)"

# The man page, generated from the command line's definitions by swift-argument-parser's plugin and
# committed (the plugin builds every product first: in debug, reusing `swift build`, about 3 minutes here;
# its default, release, rebuilds everything). Run after changing a command or an option.
MAN_DATE ?= $(shell date +%Y-%m-%d)
man:
	$(SWIFT) package plugin generate-manual --configuration debug --date $(MAN_DATE)
	install -m 0644 .build/plugins/GenerateManual/outputs/livewatch/livewatch.1 docs/man/livewatch.1

clean:
	rm -rf $(SCRATCH)
