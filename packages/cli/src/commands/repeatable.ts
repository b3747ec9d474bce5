import { Option } from "commander";

/** A flag that may be given several times, collected in order: `--role a --role b`. */
export const repeatable = (flag: string, description: string) =>
  new Option(flag, description).argParser((value: string, previous: string[] = []) => [...previous, value]);
