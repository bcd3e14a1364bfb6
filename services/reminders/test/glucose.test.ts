import { parseGlucose } from '../src/domain/glucose';

describe('glucose replies', () => {
  it.each([
    ['6.1', 6.1, 'mmol/L', true],
    ['6,1', 6.1, 'mmol/L', true],
    ['110 mg/dl', 110, 'mg/dL', false],
    ['110mg/dL', 110, 'mg/dL', false],
    ['95 mg', 95, 'mg/dL', false],
    ['7.8 mmol/l', 7.8, 'mmol/L', false],
    ['5,4 ммоль/л', 5.4, 'mmol/L', false],
    ['140', 140, 'mg/dL', true],
    [' 6.1. ', 6.1, 'mmol/L', true],
  ])('reads %j as %d %s', (text, value, unit, inferred) => {
    expect(parseGlucose(text)).toEqual({ kind: 'reading', value, unit, unitInferred: inferred });
  });

  it.each(['banana', '', 'six', '110 kg', 'mg/dl 110'])('does not read %j', (text) => {
    expect(parseGlucose(text)).toEqual({ kind: 'unreadable' });
  });

  it.each(['0.5', '900 mg/dl', '45 mmol/l', '7000'])('calls %j implausible', (text) => {
    expect(parseGlucose(text)).toEqual({ kind: 'implausible' });
  });
});
