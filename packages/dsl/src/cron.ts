const MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Names map to min + index. */
  nameBase?: number;
}

const SECOND: Field = { name: "second", min: 0, max: 59 };
const MINUTE: Field = { name: "minute", min: 0, max: 59 };
const HOUR: Field = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: Field = { name: "day of month", min: 1, max: 31 };
const MONTH: Field = { name: "month", min: 1, max: 12, names: MONTHS, nameBase: 1 };
const DAY_OF_WEEK: Field = { name: "day of week", min: 0, max: 7, names: DAYS, nameBase: 0 };
const YEAR: Field = { name: "year", min: 1970, max: 2199 };

function value(text: string, field: Field): number | string {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (field.nameBase ?? 0);
  if (!/^\d{1,4}$/.test(text)) return `'${text}' is not a number${field.names ? " or a name" : ""}`;
  const n = Number(text);
  if (n < field.min || n > field.max) return `${field.name} ${n} is out of range ${field.min}-${field.max}`;
  return n;
}

function checkField(text: string, field: Field): string | undefined {
  for (const part of text.split(",")) {
    if (part === "") return `empty list item in the ${field.name} field`;
    const [range = "", step, extra] = part.split("/");
    if (extra !== undefined) return `'${part}' has more than one '/'`;
    if (step !== undefined && (!/^\d{1,4}$/.test(step) || Number(step) === 0)) {
      return `step '${step}' in the ${field.name} field must be a positive number`;
    }
    if (range === "*" || (range === "?" && (field === DAY_OF_MONTH || field === DAY_OF_WEEK))) continue;
    const bounds = range.split("-");
    if (bounds.length > 2) return `'${range}' is not a range`;
    const values = bounds.map((b) => value(b, field));
    const problem = values.find((v) => typeof v === "string");
    if (problem !== undefined) return `${problem} (in the ${field.name} field)`;
    if (values.length === 2 && (values[0] as number) > (values[1] as number)) {
      return `range '${range}' in the ${field.name} field runs backwards`;
    }
  }
  return undefined;
}

/**
 * Checks a cron expression: 5 fields (minute first), 6 (second first, as Symbiont's scheduler
 * reads them) or 7 (with a year), or a macro such as @daily. Returns the problem, or undefined.
 */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (MACROS.has(trimmed)) return undefined;
  const fields = trimmed.split(/\s+/);
  const layouts: Record<number, Field[]> = {
    5: [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK],
    6: [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK],
    7: [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
  };
  const layout = layouts[fields.length];
  if (!layout || trimmed === "") {
    return `has ${trimmed === "" ? 0 : fields.length} fields; expected 5 (minute hour day month weekday), 6 (with seconds first) or 7 (with a year), or a macro like @daily`;
  }
  for (let i = 0; i < layout.length; i++) {
    const problem = checkField(fields[i]!, layout[i]!);
    if (problem) return problem;
  }
  return undefined;
}

export function timeZoneValid(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
