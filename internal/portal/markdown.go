package portal

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// runbookMarkdown turns a runbook's Markdown (CommonMark with GitHub's tables, strikethrough, task lists and
// autolinks) into HTML with the portal's rules applied on the syntax tree (runbookRules) and raw HTML shown as the
// text it is (escapedHTML). Safe for concurrent use.
var runbookMarkdown = goldmark.New(
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough, extension.TaskList, extension.Linkify,
	),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(runbookRules{}, 100))),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(escapedHTML{}, 100))),
)

// runbookPolicy is the sanitizer behind the renderer: whatever goldmark emits, only these elements and
// attributes reach the page. It is the second line of defence; runbookRules already keeps links and ids to
// what this allows.
var runbookPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "blockquote", "ul", "ol", "li", "pre", "code", "em", "strong", "del",
		"table", "thead", "tbody", "tr", "th", "td", "h3", "h4", "h5", "h6")
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^doc-[a-z0-9-]*$`)).OnElements("h3", "h4", "h5", "h6")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[\w+-]+$`)).OnElements("code")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")
	return p
}()

// renderMarkdown renders the Markdown of a template's documentation (the runbook) to HTML. Raw HTML in it is
// shown as text, links go only to http(s), mailto, or paths and anchors of this site (other links become their
// text), images become their alt text, and headings are shifted to start at level 3 (the page has its own h1
// and h2) and get ids "doc-<slug>" for links to them. The result is sanitized with an allow-list as well.
func renderMarkdown(src string) template.HTML {
	var b bytes.Buffer
	if err := runbookMarkdown.Convert([]byte(src), &b); err != nil {
		// Rendering to memory does not fail; should it, the page shows the text rather than nothing.
		return template.HTML("<pre>" + html.EscapeString(src) + "</pre>\n") //nolint:gosec // escaped
	}
	return template.HTML(runbookPolicy.SanitizeBytes(b.Bytes())) //nolint:gosec // sanitized with runbookPolicy
}

// runbookRules applies the portal's rules to the syntax tree of a runbook: heading levels and ids, the links
// it allows, no images.
type runbookRules struct{}

func (runbookRules) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	ids := map[string]int{}
	var unwrap []ast.Node
	var unlink []*ast.AutoLink
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = min(max(n.Level+1, 3), 6)
			id := "doc-" + slug(plainText(n, src))
			if ids[id]++; ids[id] > 1 {
				id += "-" + strconv.Itoa(ids[id])
			}
			n.SetAttributeString("id", []byte(id))
		case *ast.Link:
			if !safeLink(string(n.Destination)) {
				unwrap = append(unwrap, n)
			}
		case *ast.Image:
			unwrap = append(unwrap, n)
		case *ast.AutoLink:
			if !safeLink(string(n.URL(src))) {
				unlink = append(unlink, n)
			}
		}
		return ast.WalkContinue, nil
	})
	// The tree changes after the walk: replace each unwrapped node by its children (the link's text, the image's
	// alt text), and each refused autolink by its text.
	for _, n := range unlink {
		n.Parent().ReplaceChild(n.Parent(), n, ast.NewString(n.Label(src)))
	}
	for _, n := range unwrap {
		parent := n.Parent()
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, n, c)
			c = next
		}
		parent.RemoveChild(parent, n)
	}
}

// plainText is the text of n's inline content, for a heading's id.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// escapedHTML renders raw HTML, inline or as a block, as the escaped text it is: a runbook's `<name>` placeholder
// or a pasted tag stays readable instead of disappearing, and nothing of it is markup.
type escapedHTML struct{}

func (escapedHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			segs := n.(*ast.RawHTML).Segments
			for i := range segs.Len() {
				seg := segs.At(i)
				_, _ = w.WriteString(html.EscapeString(string(seg.Value(src))))
			}
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		block := n.(*ast.HTMLBlock)
		var b strings.Builder
		for i := range block.Lines().Len() {
			seg := block.Lines().At(i)
			b.Write(seg.Value(src))
		}
		if block.HasClosure() {
			b.Write(block.ClosureLine.Value(src))
		}
		_, _ = w.WriteString("<p>" + html.EscapeString(strings.TrimRight(b.String(), "\n")) + "</p>\n")
		return ast.WalkSkipChildren, nil
	})
}

func safeLink(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:") ||
		strings.HasPrefix(l, "#") || (strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "//"))
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes an id from heading text: "Quota exhausted!" is "quota-exhausted".
func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}
