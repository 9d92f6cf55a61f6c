package tsgen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// sources reads the Go source of the module's packages (not their tests)
// for what reflection cannot see: constants and doc comments.
type sources struct {
	root, module string
	pkgs         map[string]*pkgSource
	err          error // the first package that could not be read
}

// pkgSource is what one package's source says.
type pkgSource struct {
	docs   map[string]string   // "Type" or "Type.Field" → doc comment
	consts map[string][]string // type name ("" = untyped) → string values, in source order
}

func newSources(root, module string) *sources {
	return &sources{root: root, module: module, pkgs: map[string]*pkgSource{}}
}

// pkg parses the package at import path p once; a package outside the
// module (or without a module configured) has no source here.
func (s *sources) pkg(p string) (*pkgSource, error) {
	if ps, ok := s.pkgs[p]; ok {
		return ps, nil
	}
	ps := &pkgSource{docs: map[string]string{}, consts: map[string][]string{}}
	s.pkgs[p] = ps
	if s.module == "" || (p != s.module && !strings.HasPrefix(p, s.module+"/")) {
		return ps, nil
	}
	dir := filepath.Join(s.root, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, s.module), "/")))
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, s.fail(fmt.Errorf("source of %s: %w", p, err))
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	fset := token.NewFileSet()
	for _, n := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, s.fail(err)
		}
		ps.read(f)
	}
	return ps, nil
}

func (s *sources) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return err
}

// read records the docs and string constants of one file.
func (ps *pkgSource) read(f *ast.File) {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			ps.readMethod(fd)
			continue
		}
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		switch gd.Tok {
		case token.TYPE:
			for _, sp := range gd.Specs {
				ts := sp.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				ps.docs[ts.Name.Name] = doc.Text()
				if st, ok := ts.Type.(*ast.StructType); ok {
					ps.readFields(ts.Name.Name, st)
				}
			}
		case token.CONST:
			ps.readConsts(gd)
		}
	}
}

// readMethod records the doc comment of a method as "Type.Method()".
func (ps *pkgSource) readMethod(fd *ast.FuncDecl) {
	if fd.Recv == nil || len(fd.Recv.List) != 1 || fd.Doc == nil {
		return
	}
	rt := fd.Recv.List[0].Type
	if st, ok := rt.(*ast.StarExpr); ok {
		rt = st.X
	}
	if id, ok := rt.(*ast.Ident); ok {
		ps.docs[id.Name+"."+fd.Name.Name+"()"] = fd.Doc.Text()
	}
}

func (ps *pkgSource) readFields(typ string, st *ast.StructType) {
	for _, fl := range st.Fields.List {
		doc := fl.Doc.Text()
		if doc == "" {
			doc = fl.Comment.Text()
		}
		for _, n := range fl.Names {
			ps.docs[typ+"."+n.Name] = doc
		}
		if len(fl.Names) == 0 { // embedded
			if id, ok := fl.Type.(*ast.Ident); ok {
				ps.docs[typ+"."+id.Name] = doc
			}
		}
	}
}

// readConsts records the string constants of one const declaration by
// their type: a spec without a type or value repeats the previous one's
// (iota's rule).
func (ps *pkgSource) readConsts(gd *ast.GenDecl) {
	var typ string
	for _, sp := range gd.Specs {
		vs := sp.(*ast.ValueSpec)
		if vs.Type != nil {
			id, ok := vs.Type.(*ast.Ident)
			if !ok {
				typ = "?"
				continue
			}
			typ = id.Name
		} else if len(vs.Values) > 0 {
			typ = ""
		}
		for i, v := range vs.Values {
			if i >= len(vs.Names) || vs.Names[i].Name == "_" {
				continue
			}
			lit, ok := v.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			if s, err := strconv.Unquote(lit.Value); err == nil {
				ps.consts[typ] = append(ps.consts[typ], s)
			}
		}
	}
}

// constants returns the values of package p's string constants of type typ
// ("" = untyped), in source order (files by name), without repeats.
func (s *sources) constants(p, typ string) ([]string, error) {
	ps, err := s.pkg(p)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range ps.consts[typ] {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

// typeDoc returns the doc comment of a type ("" when unknown).
func (s *sources) typeDoc(p, typ string) string {
	ps, err := s.pkg(p)
	if err != nil || typ == "" {
		return ""
	}
	return ps.docs[typ]
}

// methodDoc returns the doc comment of a method of a type.
func (s *sources) methodDoc(p, typ, method string) string {
	ps, err := s.pkg(p)
	if err != nil {
		return ""
	}
	return ps.docs[typ+"."+method+"()"]
}

// fieldDoc returns the doc (or line) comment of a struct field.
func (s *sources) fieldDoc(p, typ, fieldName string) string {
	ps, err := s.pkg(p)
	if err != nil || typ == "" {
		return ""
	}
	return ps.docs[typ+"."+fieldName]
}
