# kehou: `make run` starts everything on the embedded defaults; `make test` runs every test.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
BIN      := bin/kehou

.PHONY: run build build-prod console test test-console vet lint-api fmt bench clean

run: build
	./$(BIN) run

build: console
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kehou

# The staff console (console/): installed when its lock file changes, built when its sources or
# the API document are newer than the build. The build is embedded into the binary.
CONSOLE_SRC := $(shell find console/src console/index.html console/vite.config.ts console/tsconfig.json \
	-type f ! -name schema.d.ts ! -name '*.test.ts' 2>/dev/null) server/openapi.yaml
console: console/dist/index.html

console/node_modules/.stamp: console/package.json console/package-lock.json
	cd console && npm ci
	touch $@

console/dist/index.html: console/node_modules/.stamp $(CONSOLE_SRC)
	cd console && npm run build
	touch console/dist/.keep

# The production binary leaves the embedded stand-ins out.
build-prod: console
	CGO_ENABLED=0 $(GO) build -tags noembed -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kehou

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) vet -tags noembed ./cmd/... ./devstack/

# Every package with -race, then the broadcast reliability tests and the places concurrency
# tests once more without it, at the issues' full sizes (2,000 recipients; 2,000 sign-ups for
# 100 places, 500 cancellations racing 500 sign-ups): under -race the embedded store is too
# slow for that, so those tests scale down there. Last, the store and jobs tests again with
# every engine switch (store/engine) in the position production takes, still on the embedded
# store, so that the MongoDB branch of each switch runs too.
#
# To run the tests on a real MongoDB instead of the embedded store (a fresh database per test;
# the production switches): KEHOU_TEST_MONGO_URI=mongodb://localhost:27017 make test
test: vet lint-api test-console
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -timeout 20m -run 'Broadcast' ./jobs/
	$(GO) test -count=1 -timeout 20m -run 'TestPlacesNeverOverbook|TestCancellationsRacingSignUps' ./store/
	KEHOU_TEST_SWITCHES=production $(GO) test -count=1 -timeout 20m ./store/ ./jobs/

# The console: its type check against types generated from the API document, its unit tests,
# and its journeys in a real Chromium against a real `kehou run` (console/e2e; screenshots in
# console/test-results).
test-console: build
	cd console && npm run typecheck && npm test && npm run e2e

# The API document must pass redocly lint (the pinned @redocly/cli of tools/apilint, installed
# on first use). Rules tuned in tools/apilint/redocly.yaml.
lint-api:
	@test -d tools/apilint/node_modules || npm ci --prefix tools/apilint
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true tools/apilint/node_modules/.bin/redocly lint --config tools/apilint/redocly.yaml server/openapi.yaml

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/...

clean:
	rm -rf bin
