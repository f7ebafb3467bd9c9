/**
 * `npm run lint:layers`: the package layering of DESIGN §6, checked on every import.
 * - sdk/ imports nothing of worker/, cli/, scripts/ or the repository (only its own files and npm packages);
 * - worker/ and cli/ use the SDK only by its package name, never by a path into sdk/;
 * - worker/ never imports the CLI; cli/ loads the node only by its package name;
 * - sdk/src's main entry imports no `node:` module (it runs in browsers), except node.ts and tdx/.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "dist") out.push(...sources(rel));
    } else if (entry.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

const problems: string[] = [];
function check(pkg: string, rule: (file: string, spec: string, target: string | undefined) => string | undefined) {
  for (const file of sources(pkg)) {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      const target = spec.startsWith(".") ? path.normalize(path.join(path.dirname(file), spec)) : undefined;
      const why = rule(file, spec, target);
      if (why) problems.push(`${file}: imports "${spec}": ${why}`);
    }
  }
}

check("sdk", (file, spec, target) => {
  if (target !== undefined && !target.startsWith("sdk" + path.sep))
    return "the SDK may import only its own files (move what it needs into sdk/src)";
  if (spec.startsWith("@verity-ai/")) return "the SDK depends on no other Verity package";
  const browserSafe = !file.startsWith(path.join("sdk", "src", "tdx")) && file !== path.join("sdk", "src", "node.ts");
  if (browserSafe && spec.startsWith("node:"))
    return "the SDK's main entry runs in browsers: put Node-only code in sdk/src/node.ts";
  return undefined;
});
for (const pkg of ["worker", "cli"]) {
  check(pkg, (_file, spec, target) => {
    if (target !== undefined && !target.startsWith(pkg + path.sep))
      return `${pkg}/ may import only its own files and packages: use "@verity-ai/sdk" (or "@verity-ai/node") by name`;
    if (pkg === "worker" && spec.startsWith("@verity-ai/cli")) return "the node never imports the CLI";
    return undefined;
  });
}

if (problems.length > 0) {
  console.error(`layering broken (DESIGN §6):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("layering ok: sdk ← node, cli (by package name only)");
