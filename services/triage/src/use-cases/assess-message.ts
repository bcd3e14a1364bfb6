import { SUPPORTED_LANGUAGES, type Language } from '@careloop/i18n';
import type { Department } from '../domain/acuity';
import type { EmergencyContacts, EmergencyNumbers } from '../domain/emergency-numbers';
import type { Protocol } from '../domain/protocol';
import type { RedFlagMatch, Screening } from '../domain/screening/red-flags';
import type { ProtocolLibrary } from '../protocols/protocol-library';

/** What one message says about urgency: red flags (any one is an emergency) and the complaint it points to. */
export interface MessageAssessment {
  readonly screening: Screening;
  readonly emergency: boolean;
  readonly flags: readonly RedFlagMatch[];
  /** Where an emergency goes: the emergency queue, or mental health when that is the only flag. */
  readonly department: Department | undefined;
  readonly crisisLine: boolean;
  readonly complaint: Protocol | undefined;
  readonly contacts: EmergencyContacts;
  readonly redFlagVersion: string;
}

/** Screening of one free-text message, the first thing done with every patient text (and the `Assess` API). */
export class AssessMessage {
  constructor(
    private readonly library: ProtocolLibrary,
    private readonly numbers: EmergencyNumbers,
  ) {}

  execute(text: string, language: Language, facilityId = ''): MessageAssessment {
    const screening = this.screenInAnyLanguage(text, language);
    const flags = screening.flags;
    return {
      screening,
      emergency: screening.emergency,
      flags,
      department: emergencyDepartment(flags),
      crisisLine: flags.some((f) => f.crisisLine),
      complaint: screening.emergency ? undefined : this.library.complaintOf(text, language),
      contacts: this.numbers.for(facilityId),
      redFlagVersion: this.library.screen.version,
    };
  }

  /**
   * The conversation's language first; when it finds no red flag, the other languages too, so
   * an English "chest pain" in a conversation routing took for Spanish (a tourist, a Spanish
   * number) still escalates. Only exact terms count across languages: fuzzy matches in a
   * language the patient is not writing in would raise false alarms.
   */
  private screenInAnyLanguage(text: string, language: Language): Screening {
    const own = this.library.screen.screen(text, language);
    if (own.emergency) return own;
    for (const other of SUPPORTED_LANGUAGES) {
      if (other === language) continue;
      const flags = this.library.screen.screen(text, other).flags.filter((f) => f.evidence.every((e) => e.edits === 0));
      if (flags.length > 0) return { ...own, language: other, flags, emergency: true };
    }
    return own;
  }
}

export function emergencyDepartment(flags: readonly { readonly department: string }[]): Department | undefined {
  if (flags.length === 0) return undefined;
  // A physical emergency outranks the mental-health queue.
  return flags.every((f) => f.department === 'mental-health') ? 'mental-health' : 'emergency';
}
