package portal

import (
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"
)

// renderMarkdown renders the Markdown of a template's documentation (the runbook) to HTML. It knows the part of
// Markdown runbooks use: headings, paragraphs, bulleted and numbered lists, fenced code blocks, `code`,
// **bold**, *emphasis* and [links](https://...). Everything is escaped first, so the text cannot inject markup,
// and links go only to http(s), mailto, or paths and anchors of this site. Headings are shifted to start at
// level 3 (the page has its own h1 and h2) and get ids "doc-<slug>" for links to them.
func renderMarkdown(src string) template.HTML {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var para []string
	list := "" // "ul" or "ol" while in a list
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inlineMarkdown(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	openList := func(kind string) {
		if list != kind {
			closeList()
			b.WriteString("<" + kind + ">\n")
			list = kind
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flushPara()
			closeList()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			b.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
		case trimmed == "":
			flushPara()
			closeList()
		case headingLevel(trimmed) > 0:
			flushPara()
			closeList()
			n := headingLevel(trimmed)
			text := strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
			level := min(max(n+1, 3), 6)
			tag := "h" + strconv.Itoa(level)
			b.WriteString("<" + tag + ` id="doc-` + slug(text) + `">` + inlineMarkdown(text) + "</" + tag + ">\n")
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			flushPara()
			openList("ul")
			b.WriteString("<li>" + inlineMarkdown(strings.TrimSpace(trimmed[2:])) + "</li>\n")
		case orderedItem.MatchString(trimmed):
			flushPara()
			openList("ol")
			b.WriteString("<li>" + inlineMarkdown(orderedItem.ReplaceAllString(trimmed, "")) + "</li>\n")
		case list != "" && (strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t")):
			// A continuation line of the last list item: fold it into the item.
			s := b.String()
			if strings.HasSuffix(s, "</li>\n") {
				b.Reset()
				b.WriteString(strings.TrimSuffix(s, "</li>\n") + " " + inlineMarkdown(trimmed) + "</li>\n")
			}
		default:
			closeList()
			para = append(para, trimmed)
		}
	}
	flushPara()
	closeList()
	return template.HTML(b.String()) //nolint:gosec // every piece of text is escaped above
}

var orderedItem = regexp.MustCompile(`^\d{1,9}[.)]\s+`)

// headingLevel is the level of an ATX heading line ("## Title" is 2), or 0.
func headingLevel(line string) int {
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(line) && line[n] != ' ') {
		return 0
	}
	return n
}

var (
	mdBold     = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdEmphasis = regexp.MustCompile(`(^|[^*\w])\*([^*\s][^*]*)\*`)
	mdLink     = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	nonSlug    = regexp.MustCompile(`[^a-z0-9]+`)
)

// inlineMarkdown renders code spans, bold, emphasis and links of one line; the rest is escaped text.
func inlineMarkdown(s string) string {
	var b strings.Builder
	parts := strings.Split(s, "`")
	for i, part := range parts {
		// Odd parts are code spans, unless the last backtick has no partner.
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + html.EscapeString(part) + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		t := html.EscapeString(part)
		t = mdLink.ReplaceAllStringFunc(t, func(m string) string {
			sub := mdLink.FindStringSubmatch(m)
			if !safeLink(html.UnescapeString(sub[2])) {
				return sub[1]
			}
			return `<a href="` + sub[2] + `">` + sub[1] + `</a>`
		})
		t = mdBold.ReplaceAllString(t, "<strong>$1</strong>")
		t = mdEmphasis.ReplaceAllString(t, "$1<em>$2</em>")
		b.WriteString(t)
	}
	return b.String()
}

func safeLink(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:") ||
		strings.HasPrefix(l, "#") || (strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "//"))
}

// slug makes an id from heading text: "Quota exhausted!" is "quota-exhausted".
func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}
