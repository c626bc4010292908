# The one place that knows how to build, run, test and benchmark Kommentar.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTANCE := instance
CONFIG := $(INSTANCE)/kommentar.toml

.PHONY: run test test-python test-widget lint build check-embed bench bench-import bench-quick bench-moderation bench-webhooks bench-mail bench-hot fuzz clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# make run's mail settings, put at the top of its config when it has none: every mail goes to
# the mail catcher (examples/mailcatcher.py, from the test extra), which prints it.
define MAIL_CATCHER
# Mail goes to make run's mail catcher on 127.0.0.1:1025, which prints it in its terminal.
public_url = "http://127.0.0.1:8080"
smtp_host = "127.0.0.1"
smtp_port = 1025
smtp_security = "none"
mail_from = "Kommentar <kommentar@localhost>"

endef
export MAIL_CATCHER

## run: the server on 127.0.0.1:8080 and the example pages on 127.0.0.1:8000, with demo comments;
## mail goes to a catcher on 127.0.0.1:1025 that prints it in this terminal, and "Log in with
## Demo ID" to a demo sign-in provider on 127.0.0.1:8090
run: $(BIN)/.installed
	@mkdir -p $(INSTANCE)
	@test -f $(CONFIG) || { $(BIN)/kommentar --config $(CONFIG) init \
		--origin http://127.0.0.1:8000 && \
		printf '\n# The demo news site: the same pages on another origin, accounts required.\n[sites."http://localhost:8000"]\nanonymous = false\n' >> $(CONFIG) && \
		printf '\n# The demo sign-in provider (examples/demo_provider.py): for trying things out only.\n[auth.providers.demo]\nissuer = "http://127.0.0.1:8090"\nlabel = "Demo ID"\nclient_id = "kommentar-demo"\nclient_secret = "demo"\n' >> $(CONFIG); }
	@# At the top, before any [table]; written in place, so the file keeps its mode (0600).
	@grep -q '^smtp_host' $(CONFIG) || { umask 077 && { echo "$$MAIL_CATCHER"; \
		cat $(CONFIG); } > $(CONFIG).new && cat $(CONFIG).new > $(CONFIG) && rm $(CONFIG).new; }
	$(BIN)/python examples/demo.py --config $(CONFIG)
	@echo "examples: http://127.0.0.1:8000/   server: http://127.0.0.1:8080/   mail: printed here"
	@$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory examples >/dev/null 2>&1 & \
		pages=$$!; $(BIN)/python examples/mailcatcher.py & catcher=$$!; \
		$(BIN)/python examples/demo_provider.py & provider=$$!; \
		trap 'kill $$pages $$catcher $$provider 2>/dev/null' EXIT; \
		$(BIN)/kommentar --config $(CONFIG) serve --host 127.0.0.1 --port 8080

## test: everything: lint, the widget's unit tests and size, the Python and browser suites
test: $(BIN)/.installed lint test-widget test-python

test-python: $(BIN)/.installed
	$(BIN)/pytest -q -n auto --dist loadfile

lint: $(BIN)/.installed
	$(BIN)/ruff check backend tests examples bench

test-widget: node_modules/.installed
	npm run --silent check
	npm run --silent test
	npm run --silent size

## build: bundle widget/ into embed.js and the chunks it loads on demand (embed/)
build: node_modules/.installed
	npm run --silent build

## check-embed: fail when the committed embed.js or a chunk in embed/ differs from a fresh build
check-embed: node_modules/.installed
	rm -rf node_modules/.committed && mkdir node_modules/.committed
	cp -r embed.js embed node_modules/.committed/
	npm run --silent build
	@diff -r node_modules/.committed/embed embed >/dev/null && \
		cmp -s node_modules/.committed/embed.js embed.js || { \
		rm -rf embed && cp -r node_modules/.committed/embed node_modules/.committed/embed.js .; \
		echo "embed.js or embed/ is stale: run 'make build' and commit them"; exit 1; }

## fuzz: schemathesis run --checks all, every phase (stateful too), signed in, against a live
## server on a free port with a temporary database, stopped at the end (tests/fuzz/live.py);
## fresh random cases, a few minutes. make test runs 25 fixed cases per operation in process
fuzz: $(BIN)/.installed
	$(BIN)/python tests/fuzz/live.py --max-examples 50

## bench: Kommentar against Isso 0.14 and a bare-Flask ceiling over HTTP with wrk, the mixed
## load, a 1,000,000-comment database (SQLite, PostgreSQL if reachable), then the moderation,
## webhook, mail, import and hot-thread benchmarks; about half an hour. The table goes to bench/results/latest.md and <date>.md
bench: $(BIN)/.installed
	$(BIN)/python bench/run.py
	$(BIN)/python bench/browser.py --self-contained --output bench/results/browser.md
	$(BIN)/python bench/spam_wave.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/mail.py
	$(BIN)/python bench/imports.py
	$(BIN)/python bench/import_isso.py
	$(BIN)/python bench/hot_thread.py

## bench-import: importing a 1,000,000-post Disqus export, and a 40,000-post one beside Isso;
## then Isso databases of 20,000 and 80,000 comments (rate, and how peak memory grows)
bench-import: $(BIN)/.installed
	$(BIN)/python bench/imports.py
	$(BIN)/python bench/import_isso.py

## bench-quick: the HTTP benchmark with short runs and a small large database (bench/results/quick.md)
bench-quick: $(BIN)/.installed
	$(BIN)/python bench/run.py --quick

## bench-moderation: how long clearing a 1,000-comment spam wave takes (SQLite, and PostgreSQL)
bench-moderation: $(BIN)/.installed
	$(BIN)/python bench/spam_wave.py

## bench-webhooks: posts with no webhook, with one delivered meanwhile, and with one only queued
bench-webhooks: $(BIN)/.installed
	$(BIN)/python bench/webhooks.py

## bench-mail: posts with mail off, and with moderator letters queued only or sent meanwhile
bench-mail: $(BIN)/.installed
	$(BIN)/python bench/mail.py

## bench-hot: 5,000 readers polling one 500-comment thread every 30 s while 2 comments a second
## are posted to it; latencies, 304s and the server's CPU (bench/results/hot-thread-<date>.md)
bench-hot: $(BIN)/.installed
	$(BIN)/python bench/hot_thread.py

clean:
	rm -rf $(VENV) node_modules $(INSTANCE) .pytest_cache .ruff_cache
