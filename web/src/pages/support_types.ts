// The support API's types, aliases into the generated schema.

import type { components } from "../api/schema.gen";

type S = components["schemas"];
export type SupportOut = S["SupportOut"];
export type SupportSummary = S["SupportSummary"];
export type SupportList = S["SupportList"];
export type SupportView = S["SupportView"];
/** The POST body (the route reads it itself; its schema is in the requestBody). */
export interface SupportIn {
  description: string;
  contact?: string;
  view: SupportView;
  screenshot?: string | null;
}
