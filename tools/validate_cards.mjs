// Validate Adaptive Cards with the Adaptive Cards JavaScript library (npm `adaptivecards`),
// the renderer family Teams and the Agents Playground use, so a card Teams would reject fails the build.
//
// A card passes only when:
//   - `AdaptiveCard.parse` with a SerializationContext targeting the host's schema version (1.5 for
//     Teams) logs no event (unknown element or action type, property newer than the target version,
//     invalid property value, ...);
//   - `validateProperties()` reports no event (duplicate ids, required inputs without label or
//     errorMessage, empty collections, ...);
//   - every property of every object was read by the parser: the library silently ignores properties
//     it does not know (a typo such as `isRequred` would pass its own checks), so the source JSON is
//     wrapped in proxies that record which keys the parser looks at; any key never looked at is
//     reported. Free-form `data` payloads are not inspected; an action's `fallback` is validated as
//     an action of its own, since the parser only reads it when it falls back;
//   - Teams rules the library does not know: version at most the target; `Action.Execute` carries an
//     `Action.Submit` fallback (older Teams clients); `Input.Text.regex` compiles as a JavaScript
//     regular expression; the card's JSON fits the Teams message size limit.
//
// Usage:
//   node tools/validate_cards.mjs [--version 1.5] card.json ...   # exit 1 when any card fails
//   node tools/validate_cards.mjs --serve [--version 1.5]          # JSON lines on stdin/stdout:
//       in:  {"id": 1, "cards": [{"name": "form:x", "card": {...}}, ...]}
//       out: {"id": 1, "results": [{"name": "form:x", "errors": ["..."]}, ...]}
//
// The library's ESM build imports files without extensions, which Node cannot resolve, so the
// UMD bundle is loaded with `require`. Parsing and validation need no DOM.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);
const AC = require("adaptivecards/dist/adaptivecards.js");

// Teams rejects bot messages over about 28 KB; a card must leave room for the activity around it.
const MAX_CARD_BYTES = 24 * 1024;
// Keys the parser never reads by design.
const ROOT_IGNORED_KEYS = new Set(["$schema"]);
const FREE_FORM_KEYS = new Set(["data"]);

/** Wrap a JSON value so that every key the parser looks at is recorded in `seen`. */
function track(value, path, seen) {
  if (value === null || typeof value !== "object") {
    return value;
  }
  const cache = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string" && Object.prototype.hasOwnProperty.call(target, key)) {
        seen.add(`${path}/${key}`);
        if (FREE_FORM_KEYS.has(key)) {
          return target[key];
        }
        if (!cache.has(key)) {
          cache.set(key, track(target[key], `${path}/${key}`, seen));
        }
        return cache.get(key);
      }
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === "string") {
        seen.add(`${path}/${key}`);
      }
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === "string") {
        seen.add(`${path}/${key}`);
      }
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
}

/** Every key path of a JSON value, except inside free-form payloads and action fallbacks. */
function allKeys(value, path, out, fallbacks) {
  if (Array.isArray(value)) {
    value.forEach((item, index) => allKeys(item, `${path}/${index}`, out, fallbacks));
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      const keyPath = `${path}/${key}`;
      out.push(keyPath);
      if (FREE_FORM_KEYS.has(key)) {
        continue;
      }
      if (key === "fallback" && typeof value[key] === "object" && isAction(value)) {
        fallbacks.push({ path: keyPath, action: value[key] });
        continue;
      }
      allKeys(value[key], keyPath, out, fallbacks);
    }
  }
}

function isAction(value) {
  return typeof value.type === "string" && value.type.startsWith("Action.");
}

function describeEvent(event) {
  const source = event.source && typeof event.source.getJsonTypeName === "function"
    ? event.source.getJsonTypeName()
    : "card";
  const id = event.source && event.source.id ? ` ${event.source.id}` : "";
  return `${AC.ValidationEvent[event.event]} (${source}${id}): ${event.message}`;
}

/** Parse one card JSON value with full tracking; return the parsed card and error strings. */
function parseTracked(json, version) {
  const errors = [];
  const seen = new Set();
  const context = new AC.SerializationContext(version);
  const card = new AC.AdaptiveCard();
  card.parse(track(json, "", seen), context);
  for (let index = 0; index < context.eventCount; index++) {
    errors.push(describeEvent(context.getEventAt(index)));
  }
  const keys = [];
  const fallbacks = [];
  allKeys(json, "", keys, fallbacks);
  for (const keyPath of keys) {
    const key = keyPath.slice(keyPath.lastIndexOf("/") + 1);
    const isRootKey = keyPath.lastIndexOf("/") === 0;
    if (seen.has(keyPath) || (isRootKey && ROOT_IGNORED_KEYS.has(key)) || key === "fallback") {
      continue;
    }
    errors.push(`UnknownProperty: ${keyPath} is not a property the renderer knows; it would be ignored`);
  }
  return { card, errors, fallbacks };
}

function walk(value, visit) {
  if (Array.isArray(value)) {
    value.forEach((item) => walk(item, visit));
  } else if (value !== null && typeof value === "object") {
    visit(value);
    for (const key of Object.keys(value)) {
      if (!FREE_FORM_KEYS.has(key)) {
        walk(value[key], visit);
      }
    }
  }
}

function teamsRules(json, version) {
  const errors = [];
  if (json === null || typeof json !== "object" || json.type !== "AdaptiveCard") {
    return ['MissingCardType: the root must be {"type": "AdaptiveCard", ...}'];
  }
  const cardVersion = AC.Version.parse(String(json.version), new AC.SerializationContext());
  if (!cardVersion || !cardVersion.isValid) {
    errors.push(`UnsupportedCardVersion: version ${JSON.stringify(json.version)} is not a schema version`);
  } else if (cardVersion.compareTo(version) > 0) {
    errors.push(`UnsupportedCardVersion: version ${json.version} is newer than ${version.toString()}`);
  }
  const size = Buffer.byteLength(JSON.stringify(json), "utf8");
  if (size > MAX_CARD_BYTES) {
    errors.push(`TooLarge: the card is ${size} bytes; Teams messages must stay under ${MAX_CARD_BYTES}`);
  }
  walk(json, (node) => {
    if (node.type === "Action.Execute") {
      const fallback = node.fallback;
      if (!fallback || typeof fallback !== "object" || fallback.type !== "Action.Submit") {
        errors.push(`TeamsFallback: Action.Execute ${JSON.stringify(node.verb)} needs an Action.Submit fallback`);
      }
    }
    if (node.type === "Input.Text" && node.regex !== undefined) {
      try {
        new RegExp(node.regex);
      } catch (error) {
        errors.push(`InvalidRegex (Input.Text ${node.id}): ${error.message}`);
      }
    }
  });
  return errors;
}

/** All problems of one card, as readable strings; empty when the card passes. */
export function validateCard(json, versionText = "1.5") {
  const version = AC.Version.parse(versionText, new AC.SerializationContext());
  const errors = teamsRules(json, version);
  if (errors.some((error) => error.startsWith("MissingCardType"))) {
    return errors;
  }
  // Parse against the card's own declared version (when the host supports it), so that a card
  // declaring 1.3 but using a 1.4 feature fails like it would on a 1.3 host.
  const declared = AC.Version.parse(String(json.version), new AC.SerializationContext());
  const target = declared && declared.isValid && declared.compareTo(version) < 0 ? declared : version;
  const { card, errors: parseErrors, fallbacks } = parseTracked(json, target);
  errors.push(...parseErrors);
  for (const event of card.validateProperties().validationEvents) {
    errors.push(describeEvent(event));
  }
  for (const { path, action } of fallbacks) {
    const wrapper = { type: "AdaptiveCard", version: json.version, actions: [action] };
    const result = parseTracked(wrapper, target);
    for (const error of result.errors) {
      errors.push(`${error} (in fallback at ${path})`.replace("/actions/0", path));
    }
  }
  return errors;
}

function validateBatch(request, versionText) {
  const results = (request.cards || []).map((entry) => {
    try {
      return { name: entry.name, errors: validateCard(entry.card, versionText) };
    } catch (error) {
      return { name: entry.name, errors: [`ParserCrash: ${error && error.message}`] };
    }
  });
  return { id: request.id, results };
}

function main(argv) {
  let versionText = "1.5";
  let serve = false;
  const files = [];
  for (let index = 0; index < argv.length; index++) {
    if (argv[index] === "--version") {
      versionText = argv[++index];
    } else if (argv[index] === "--serve") {
      serve = true;
    } else {
      files.push(argv[index]);
    }
  }
  if (serve) {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    lines.on("line", (line) => {
      if (!line.trim()) {
        return;
      }
      let response;
      try {
        response = validateBatch(JSON.parse(line), versionText);
      } catch (error) {
        response = { id: null, error: `bad request: ${error.message}` };
      }
      process.stdout.write(`${JSON.stringify(response)}\n`);
    });
    return;
  }
  let failed = false;
  for (const file of files) {
    const errors = validateCard(JSON.parse(readFileSync(file, "utf8")), versionText);
    if (errors.length) {
      failed = true;
      console.log(`${file}:`);
      errors.forEach((error) => console.log(`  - ${error}`));
    } else {
      console.log(`${file}: ok`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2));
}
