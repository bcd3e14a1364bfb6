import type { DepartmentRecord, FacilityRecord, PractitionerRecord, ScheduleRecord } from '../adapters/directory-store';

/** The demo hospital network: three facilities in three time zones, seven departments, 63 practitioners. */
export interface Network {
  readonly tenantId: string;
  readonly facilities: FacilityRecord[];
  readonly departments: DepartmentRecord[];
  readonly practitioners: PractitionerRecord[];
  readonly schedules: ScheduleRecord[];
}

const FACILITIES: FacilityRecord[] = [
  { facilityId: 'madrid-central', name: 'Hospital Madrid Central', timeZone: 'Europe/Madrid', address: 'Calle de Alcalá 100', city: 'Madrid', country: 'ES' },
  { facilityId: 'berlin-mitte', name: 'Klinikum Berlin Mitte', timeZone: 'Europe/Berlin', address: 'Invalidenstraße 50', city: 'Berlin', country: 'DE' },
  { facilityId: 'istanbul-levent', name: 'Levent Hastanesi', timeZone: 'Europe/Istanbul', address: 'Büyükdere Cd. 185', city: 'İstanbul', country: 'TR' },
];

const DEPARTMENTS: DepartmentRecord[] = [
  { departmentId: 'general-practice', name: 'General practice', serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: 15 }], maxFutureBookingsPerPatient: 0 },
  { departmentId: 'cardiology', name: 'Cardiology', serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: 30 }, { code: 'echocardiogram', name: 'Echocardiogram', minutes: 45 }], maxFutureBookingsPerPatient: 0 },
  { departmentId: 'dermatology', name: 'Dermatology', serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: 20 }], maxFutureBookingsPerPatient: 0 },
  { departmentId: 'pediatrics', name: 'Paediatrics', serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: 20 }], maxFutureBookingsPerPatient: 3 },
  { departmentId: 'radiology', name: 'Radiology', serviceTypes: [{ code: 'x-ray', name: 'X-ray', minutes: 10 }, { code: 'mri', name: 'MRI', minutes: 40 }], maxFutureBookingsPerPatient: 0 },
  { departmentId: 'orthopedics', name: 'Orthopaedics', serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: 20 }], maxFutureBookingsPerPatient: 0 },
  { departmentId: 'gynecology', name: 'Gynaecology', serviceTypes: [{ code: 'consultation', name: 'Consultation', minutes: 30 }], maxFutureBookingsPerPatient: 0 },
];

const NAMES: Record<string, { titles: [string, string]; first: string[]; last: string[]; languages: string[][] }> = {
  'madrid-central': { titles: ['Dr.', 'Dra.'], first: ['Ana', 'Luis', 'Carmen', 'Javier', 'Lucía', 'Pablo', 'Marta', 'Sergio', 'Elena', 'Diego', 'Laura', 'Andrés'], last: ['García', 'López', 'Martínez', 'Sánchez', 'Romero', 'Navarro', 'Torres', 'Ruiz', 'Díaz', 'Moreno', 'Vidal', 'Castro'], languages: [['es', 'en'], ['es'], ['es', 'fr'], ['es', 'en', 'de']] },
  'berlin-mitte': { titles: ['Dr.', 'Dr.'], first: ['Anna', 'Jonas', 'Lena', 'Felix', 'Miriam', 'Lukas', 'Sophie', 'Tobias', 'Clara', 'Paul', 'Hannah', 'Jan'], last: ['Schmidt', 'Müller', 'Weber', 'Fischer', 'Wagner', 'Becker', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann'], languages: [['de', 'en'], ['de'], ['de', 'tr'], ['de', 'en', 'ru']] },
  'istanbul-levent': { titles: ['Dr.', 'Dr.'], first: ['Ayşe', 'Mehmet', 'Zeynep', 'Emre', 'Elif', 'Can', 'Deniz', 'Burak', 'Selin', 'Murat', 'Ece', 'Kerem'], last: ['Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Aydın', 'Öztürk', 'Arslan', 'Doğan', 'Koç', 'Kurt', 'Aslan'], languages: [['tr', 'en'], ['tr'], ['tr', 'de'], ['tr', 'en', 'ru']] },
};

/** Public holidays per facility (local dates), as schedule exceptions. */
const HOLIDAYS: Record<string, string[]> = {
  'madrid-central': ['2026-12-08', '2026-12-25', '2027-01-01', '2027-01-06'],
  'berlin-mitte': ['2026-12-25', '2026-12-26', '2027-01-01', '2027-03-08'],
  'istanbul-levent': ['2027-01-01', '2026-10-29'],
};

export function demoNetwork(tenantId = 'demo'): Network {
  const practitioners: PractitionerRecord[] = [];
  const schedules: ScheduleRecord[] = [];
  let n = 0;
  for (const facility of FACILITIES) {
    const names = NAMES[facility.facilityId];
    if (!names) continue;
    for (const [d, department] of DEPARTMENTS.entries()) {
      for (let k = 0; k < 3; k++, n++) {
        const first = names.first[(d * 3 + k) % names.first.length] ?? 'Alex';
        const last = names.last[(d * 5 + k * 7) % names.last.length] ?? 'Doe';
        const practitionerId = `${facility.facilityId.split('-')[0]}-${department.departmentId}-${k + 1}`;
        practitioners.push({
          practitionerId,
          name: `${names.titles[k % 2]} ${first} ${last}`,
          departmentIds: [department.departmentId],
          facilityIds: [facility.facilityId],
          roles: department.departmentId === 'radiology' && k === 2 ? ['radiographer'] : ['doctor'],
          languages: names.languages[(d + k) % names.languages.length] ?? ['en'],
          active: true,
        });
        const serviceType = department.serviceTypes[k === 2 && department.serviceTypes.length > 1 ? 1 : 0];
        // Morning and afternoon shifts, staggered so every weekday has someone; GP also on Saturday mornings.
        const weekdays = k === 0 ? [1, 2, 3, 4, 5] : k === 1 ? [1, 3, 5] : [2, 4];
        schedules.push({
          scheduleId: `sch-${practitionerId}`,
          practitionerId,
          facilityId: facility.facilityId,
          departmentId: department.departmentId,
          serviceType: serviceType?.code ?? 'consultation',
          slotMinutes: 0,
          capacity: 1,
          hours: [
            { weekdays, start: '08:30', end: '14:00' },
            ...(k !== 1 ? [{ weekdays, start: '15:00', end: '18:30' }] : []),
            ...(department.departmentId === 'general-practice' && k === 0 ? [{ weekdays: [6], start: '09:00', end: '13:00' }] : []),
          ],
          exceptions: [
            ...(HOLIDAYS[facility.facilityId] ?? []).map((date) => ({ fromDate: date, toDate: date, kind: 'holiday' })),
            // Some leave, so the network is not uniform.
            ...(n % 7 === 3 ? [{ fromDate: '2026-12-21', toDate: '2027-01-03', kind: 'leave' }] : []),
            ...(n % 11 === 5 ? [{ fromDate: '2026-12-10', toDate: '2026-12-10', kind: 'training', start: '08:30', end: '11:00' }] : []),
          ],
          validFrom: '2026-01-01',
          validTo: '',
        });
      }
    }
  }
  return { tenantId, facilities: FACILITIES, departments: DEPARTMENTS, practitioners, schedules };
}
