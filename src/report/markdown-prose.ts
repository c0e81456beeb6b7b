// Model-drafted prose in the report: the marker that says so, the drafted text escaped, the template when nothing survived.
import { escapeInline } from "./escape.js";

/** One drafted section: the sentences (or items) that passed the figure check, and how many were dropped. */
export interface DraftedText {
  readonly text: string;
  readonly dropped: number;
}
export interface DraftedList {
  readonly items: readonly string[];
  readonly dropped: number;
}

/** Prose a model drafted from the incident's findings (plain text: the renderer escapes it). */
export interface ReportProse {
  /** The model's name, shown in the marker. */
  readonly model: string;
  readonly executiveSummary?: DraftedText;
  readonly rootCauseAnalysis?: DraftedText;
  readonly nextSteps?: DraftedList;
}

function marker(model: string, dropped: number): string {
  const note = dropped === 0 ? "" : ` ${dropped} sentence${dropped === 1 ? "" : "s"} naming figures not found in the logs ${dropped === 1 ? "was" : "were"} dropped.`;
  return `_✍️ Drafted by ${escapeInline(model)} from the findings; figures checked against the logs._${note}`;
}

const ALL_DROPPED = (model: string, dropped: number) =>
  `_✍️ ${escapeInline(model)}'s draft of this section was not used: ${dropped === 1 ? "its sentence names" : `all ${dropped} of its sentences name`} figures not found in the logs. Written from templates._`;

/** A drafted paragraph with its marker; the template when there is no draft or nothing of it survived the figure check. */
export function draftedParagraph(model: string, section: DraftedText | undefined, template: string): string {
  if (section === undefined) return template;
  if (section.text.trim() === "") return section.dropped > 0 ? `${ALL_DROPPED(model, section.dropped)}\n\n${template}` : template;
  return `${marker(model, section.dropped)}\n\n${escapeInline(section.text)}`;
}

/** The Root Cause Analysis: the drafted narrative above the rules' hypotheses, which stay as written. */
export function draftedAnalysis(model: string, section: DraftedText | undefined, template: string): string {
  if (section === undefined) return template;
  if (section.text.trim() === "") return section.dropped > 0 ? `${ALL_DROPPED(model, section.dropped)}\n\n${template}` : template;
  return `${marker(model, section.dropped)}\n\n${escapeInline(section.text)}\n\n${template}`;
}

/** Drafted next steps as a numbered list; the template's when none survived. */
export function draftedSteps(model: string, section: DraftedList | undefined, template: string): string {
  if (section === undefined) return template;
  if (section.items.length === 0) return section.dropped > 0 ? `${ALL_DROPPED(model, section.dropped)}\n\n${template}` : template;
  return `${marker(model, section.dropped)}\n\n${section.items.map((s, i) => `${i + 1}. ${escapeInline(s)}`).join("\n")}`;
}

/** The one line saying why the report's prose came from templates although a model was asked. */
export function proseNote(reason: string): string {
  return `_ℹ️ Written from templates: ${escapeInline(reason)}._`;
}
