import PDFDocument from 'pdfkit';
import type { ResultView } from '../domain/result-view';

/** The PDF's own words, in the patient's language (from the catalogue). */
export interface ResultPdfLabels {
  readonly heading: string;
  readonly date: string;
  readonly test: string;
  readonly value: string;
  readonly range: string;
  readonly conclusion: string;
  readonly footer: string;
}

// DejaVu Sans covers Latin (Turkish included) and Cyrillic: PDF's built-in fonts cover neither fully.
const REGULAR = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/**
 * Renders one result as a PDF (A4, the fonts subset-embedded). The document carries no
 * metadata beyond a generic title: a file's properties travel with it.
 */
export function renderResultPdf(view: ResultView, labels: ResultPdfLabels): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: labels.heading, Producer: 'Careloop', Creator: 'Careloop' } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.registerFont('regular', REGULAR);
    doc.registerFont('bold', BOLD);

    doc.font('bold').fontSize(18).text(labels.heading);
    doc.moveDown(0.5);
    doc.font('bold').fontSize(13).text(view.title);
    doc.font('regular').fontSize(10).text(labels.date);
    doc.moveDown();

    const left = doc.page.margins.left;
    const width = doc.page.width - left - doc.page.margins.right;
    const columns = [0.45, 0.25, 0.3].map((f) => f * width);
    const row = (cells: readonly string[], font: 'regular' | 'bold') => {
      const y = doc.y;
      doc.font(font).fontSize(10);
      let x = left;
      let bottom = y;
      cells.forEach((cell, i) => {
        const w = columns[i] ?? 0;
        doc.text(cell, x, y, { width: w - 6 });
        bottom = Math.max(bottom, doc.y);
        x += w;
      });
      doc.x = left;
      doc.y = bottom + 4;
    };
    row([labels.test, labels.value, labels.range], 'bold');
    for (const line of view.lines) row([line.name, `${line.value}${line.flag ? ` (${line.flag})` : ''}`, line.range], 'regular');
    if (view.conclusion) {
      doc.moveDown();
      doc.font('bold').fontSize(11).text(labels.conclusion);
      doc.font('regular').fontSize(10).text(view.conclusion);
    }
    doc.moveDown(2);
    doc.font('regular').fontSize(8).fillColor('#555555').text(labels.footer);
    doc.end();
  });
}
