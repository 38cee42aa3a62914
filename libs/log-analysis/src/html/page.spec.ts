import { escapeHtml, renderPage } from './page';

/** What the log can put in a page: request ids, URLs and SQL are the client's and the database's text. */
const HOSTILE = '</script><script>window.injected = 1</script><!-- \u2028\u2029 & "quotes" \'';

function dataOf(html: string): unknown {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  return JSON.parse(match![1]);
}

describe('renderPage', () => {
  const draw = (data: { text: string }) => console.log(data.text);

  it('carries the data as JSON that reads back exactly, whatever text it holds', () => {
    const data = { text: HOSTILE, nested: [{ url: `/api/v1/todos/${HOSTILE}` }] };

    const html = renderPage({ title: 't', styles: '', data, draw });

    expect(dataOf(html)).toEqual(data);
  });

  it('lets no text in the data close its script element or open another', () => {
    const html = renderPage({ title: 't', styles: '', data: { text: HOSTILE }, draw });

    // uPlot, the data and the drawing call: three scripts, each closed once.
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(html).not.toContain('window.injected = 1</script>');
  });

  it('escapes the title and inlines uPlot, its styles and the drawing function, so the page needs no network', () => {
    const html = renderPage({ title: `a <b> & ${HOSTILE}`, styles: '.x { color: red }', data: { text: '' }, draw });

    expect(html).toContain(`<title>${escapeHtml(`a <b> & ${HOSTILE}`)}</title>`);
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
    expect(html).toContain('.x { color: red }');
    expect(html).toContain('var uPlot=function(){');
    expect(html).toContain('console.log(data.text)');
  });
});
