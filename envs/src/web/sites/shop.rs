//! The bundled shop: categories, search, product pages with reviews, a cart, checkout, and an
//! account with order history. The catalogue (60 products) and the demo account's past orders
//! are generated from a fixed seed; carts, logins, new orders and reviews live per session.
//!
//! Demo account: `emma.lopez@example.com` / `hone123`.

use super::{esc, page, redirect, shell, slug, Rng, Sessions};
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

pub const EMAIL: &str = "emma.lopez@example.com";
pub const PASSWORD: &str = "hone123";
pub const NAME: &str = "Emma Lopez";

#[derive(Debug, Clone)]
pub struct Review {
    pub author: String,
    pub rating: u8,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: usize,
    pub sku: String,
    pub name: String,
    pub category: String,
    /// Cents.
    pub price: u64,
    pub description: String,
    pub reviews: Vec<Review>,
}

impl Product {
    pub fn rating(&self, extra: &[Review]) -> f64 {
        let all: Vec<u8> = self.reviews.iter().chain(extra).map(|r| r.rating).collect();
        if all.is_empty() {
            0.0
        } else {
            all.iter().map(|&r| r as f64).sum::<f64>() / all.len() as f64
        }
    }
}

#[derive(Debug, Clone)]
pub struct Order {
    pub number: u32,
    pub date: String,
    pub status: String,
    pub items: Vec<(usize, u32)>,
    pub shipping: u64,
    pub address: String,
}

/// One visitor's state.
#[derive(Debug, Default)]
pub struct Visit {
    pub logged_in: bool,
    pub cart: Vec<(usize, u32)>,
    pub orders: Vec<Order>,
    pub reviews: HashMap<usize, Vec<Review>>,
    pub message: Option<String>,
}

/// The shop's data and sessions.
pub struct Shop {
    pub products: Vec<Product>,
    pub categories: Vec<String>,
    /// The demo account's orders before any episode.
    pub past_orders: Vec<Order>,
    pub sessions: Sessions<Visit>,
}

const CATEGORIES: &[(&str, &[&str])] = &[
    (
        "Electronics",
        &[
            "Wireless Earbuds",
            "Bluetooth Speaker",
            "USB-C Charger",
            "Smart Watch",
            "Webcam",
            "Mechanical Keyboard",
            "Gaming Mouse",
            "Power Bank",
            "HDMI Cable",
            "Tablet Stand",
        ],
    ),
    (
        "Home & Kitchen",
        &[
            "Coffee Maker",
            "Chef Knife",
            "Cutting Board",
            "Toaster",
            "Blender",
            "Frying Pan",
            "Tea Kettle",
            "Dish Rack",
            "Storage Jars",
            "Table Lamp",
        ],
    ),
    (
        "Books",
        &[
            "The Quiet Harbor",
            "Notes on Systems",
            "A Field Guide to Birds",
            "Cooking for Two",
            "The Last Orchard",
            "Mountain Trails",
            "Stars Over Lisbon",
            "Gardening Basics",
            "The Clockmaker",
            "Ocean Stories",
        ],
    ),
    (
        "Sports & Outdoors",
        &[
            "Yoga Mat",
            "Water Bottle",
            "Running Shoes",
            "Tennis Racket",
            "Jump Rope",
            "Dumbbell Set",
            "Bike Helmet",
            "Hiking Backpack",
            "Resistance Bands",
            "Soccer Ball",
        ],
    ),
    (
        "Beauty",
        &[
            "Face Cream",
            "Shampoo",
            "Lip Balm",
            "Sunscreen SPF 50",
            "Hand Soap",
            "Hair Brush",
            "Body Lotion",
            "Nail Kit",
            "Perfume",
            "Shaving Gel",
        ],
    ),
    (
        "Grocery",
        &[
            "Green Tea",
            "Dark Chocolate",
            "Olive Oil",
            "Wildflower Honey",
            "Coffee Beans",
            "Spaghetti",
            "Basmati Rice",
            "Roasted Almonds",
            "Maple Syrup",
            "Oat Cookies",
        ],
    ),
];
const BRANDS: &[&str] = &[
    "Acme",
    "Northwind",
    "Lumen",
    "Brightside",
    "Cedar",
    "Kestrel",
];
const COLORS: &[&str] = &["Blue", "Black", "White", "Red", "Green", "Silver"];
const REVIEWERS: &[&str] = &[
    "Sam Rivera",
    "Priya Shah",
    "Tom Becker",
    "Lena Park",
    "Omar Haddad",
    "Grace Kim",
    "Jonas Weber",
    "Ana Costa",
];
const PRAISE: &[(&str, &str, u8)] = &[
    (
        "Great value",
        "Works exactly as described and arrived quickly.",
        5,
    ),
    (
        "Very happy",
        "Good quality for the price. Would buy again.",
        5,
    ),
    (
        "Decent",
        "Does the job, though the packaging was damaged.",
        4,
    ),
    ("Okay", "Average quality; it is fine for everyday use.", 3),
    ("Not great", "Stopped working properly after two weeks.", 2),
    ("Disappointed", "Smaller than expected and feels cheap.", 1),
];

impl Default for Shop {
    fn default() -> Self {
        Self::new()
    }
}

impl Shop {
    pub fn new() -> Self {
        let mut r = Rng::new(0x5409_2026);
        let mut products = Vec::new();
        for (cat, nouns) in CATEGORIES {
            for noun in *nouns {
                let id = products.len() + 1;
                let name = match *cat {
                    "Books" => noun.to_string(),
                    "Beauty" | "Grocery" => format!("{} {noun}", r.pick(BRANDS)),
                    _ => format!("{} {} {noun}", r.pick(BRANDS), r.pick(COLORS)),
                };
                let price = 499 + (r.below(190) as u64) * 50;
                let n = r.below(4);
                let reviews = (0..n)
                    .map(|_| {
                        let (t, x, s) = *r.pick(PRAISE);
                        Review {
                            author: r.pick(REVIEWERS).to_string(),
                            rating: s,
                            title: t.into(),
                            text: x.into(),
                        }
                    })
                    .collect();
                products.push(Product {
                    id,
                    sku: format!("HS-{id:04}"),
                    description: format!(
                        "{name}: a {} favourite from our {} range.",
                        cat.to_lowercase(),
                        r.pick(BRANDS)
                    ),
                    name,
                    category: cat.to_string(),
                    price,
                    reviews,
                });
            }
        }
        let past_orders = vec![
            Order {
                number: 1001,
                date: "2026-03-14".into(),
                status: "Complete".into(),
                items: vec![(3, 1), (25, 2)],
                shipping: 500,
                address: "12 Harbor Lane, Portland".into(),
            },
            Order {
                number: 1002,
                date: "2026-06-02".into(),
                status: "Canceled".into(),
                items: vec![(44, 1)],
                shipping: 500,
                address: "12 Harbor Lane, Portland".into(),
            },
            Order {
                number: 1003,
                date: "2026-09-21".into(),
                status: "Shipped".into(),
                items: vec![(12, 1), (51, 3), (58, 1)],
                shipping: 1500,
                address: "12 Harbor Lane, Portland".into(),
            },
        ];
        Self {
            categories: CATEGORIES.iter().map(|c| c.0.to_string()).collect(),
            products,
            past_orders,
            sessions: Sessions::default(),
        }
    }

    pub fn product(&self, id: usize) -> Option<&Product> {
        self.products.get(id.wrapping_sub(1))
    }

    /// An order's total in cents.
    pub fn total(&self, o: &Order) -> u64 {
        o.items
            .iter()
            .filter_map(|(id, q)| self.product(*id).map(|p| p.price * *q as u64))
            .sum::<u64>()
            + o.shipping
    }
}

/// `1999` → `$19.99`.
pub fn money(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

fn nav(v: &Visit) -> String {
    let items: u32 = v.cart.iter().map(|c| c.1).sum();
    format!(
        "<a href=\"/\">Home</a><a href=\"/cart\">Cart ({items})</a>{}\
         <form action=\"/search\" method=get style=\"display:inline\"><input name=q aria-label=\"Search products\" placeholder=\"Search products\"><button>Search</button></form>",
        if v.logged_in {
            "<a href=\"/account\">My Account</a><a href=\"/logout\">Sign Out</a>"
        } else {
            "<a href=\"/login\">Sign In</a>"
        }
    )
}

fn product_list(shop: &Shop, v: &Visit, items: &[&Product]) -> String {
    let mut s = String::from("<ul class=products>");
    for p in items {
        let extra = v.reviews.get(&p.id).map(Vec::as_slice).unwrap_or(&[]);
        s.push_str(&format!(
            "<li class=card><a href=\"/product/{}\">{}</a> <span class=price>{}</span> <span class=rating>Rating: {:.1} of 5 ({} reviews)</span></li>",
            p.id,
            esc(&p.name),
            money(p.price),
            p.rating(extra),
            p.reviews.len() + extra.len()
        ));
    }
    s.push_str("</ul>");
    let _ = shop;
    s
}

type Shared = State<Arc<Shop>>;

#[derive(Deserialize)]
struct SearchQ {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
}

fn sorted<'a>(mut v: Vec<&'a Product>, sort: &str) -> Vec<&'a Product> {
    match sort {
        "price_asc" => v.sort_by_key(|p| p.price),
        "price_desc" => v.sort_by_key(|p| std::cmp::Reverse(p.price)),
        "name" => v.sort_by(|a, b| a.name.cmp(&b.name)),
        _ => {}
    }
    v
}

fn sort_links(base: &str) -> String {
    format!(
        "<p>Sort by: <a href=\"{base}sort=price_asc\">Price: low to high</a> | <a href=\"{base}sort=price_desc\">Price: high to low</a> | <a href=\"{base}sort=name\">Name</a></p>"
    )
}

async fn home(State(shop): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let html = shop.sessions.with(&id, |v| {
        let mut b = String::from("<h2>Shop by category</h2><ul>");
        for c in &shop.categories {
            b.push_str(&format!(
                "<li><a href=\"/category/{}\">{}</a></li>",
                slug(c),
                esc(c)
            ));
        }
        b.push_str("</ul><h2>Featured</h2>");
        let featured: Vec<&Product> = shop.products.iter().step_by(10).collect();
        b.push_str(&product_list(&shop, v, &featured));
        shell("One Stop Shop", "One Stop Shop", &nav(v), &b)
    });
    page(html, cookie)
}

async fn search(State(shop): Shared, h: HeaderMap, Query(q): Query<SearchQ>) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let html = shop.sessions.with(&id, |v| {
        let needle = q.q.to_lowercase();
        let hits: Vec<&Product> = shop
            .products
            .iter()
            .filter(|p| {
                !needle.is_empty()
                    && (p.name.to_lowercase().contains(&needle)
                        || p.category.to_lowercase().contains(&needle))
            })
            .collect();
        let hits = sorted(hits, &q.sort);
        let mut b = format!("<p>{} results for \"{}\"</p>", hits.len(), esc(&q.q));
        b.push_str(&sort_links(&format!("/search?q={}&", esc(&q.q))));
        b.push_str(&product_list(&shop, v, &hits));
        shell(
            "One Stop Shop",
            &format!("Search results for: '{}'", q.q),
            &nav(v),
            &b,
        )
    });
    page(html, cookie)
}

async fn category(
    State(shop): Shared,
    h: HeaderMap,
    Path(c): Path<String>,
    Query(q): Query<SearchQ>,
) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let Some(cat) = shop.categories.iter().find(|x| slug(x) == c).cloned() else {
        return page(
            shell(
                "One Stop Shop",
                "Page not found",
                "<a href=\"/\">Home</a>",
                "<p>No such category.</p>",
            ),
            cookie,
        );
    };
    let html = shop.sessions.with(&id, |v| {
        let items: Vec<&Product> = shop.products.iter().filter(|p| p.category == cat).collect();
        let items = sorted(items, &q.sort);
        let mut b = format!("<p>{} items</p>", items.len());
        b.push_str(&sort_links(&format!("/category/{c}?")));
        b.push_str(&product_list(&shop, v, &items));
        shell("One Stop Shop", &cat, &nav(v), &b)
    });
    page(html, cookie)
}

async fn product(State(shop): Shared, h: HeaderMap, Path(pid): Path<usize>) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let Some(p) = shop.product(pid) else {
        return page(
            shell(
                "One Stop Shop",
                "Page not found",
                "<a href=\"/\">Home</a>",
                "<p>No such product.</p>",
            ),
            cookie,
        );
    };
    let html = shop.sessions.with(&id, |v| {
        let extra = v.reviews.get(&p.id).cloned().unwrap_or_default();
        let mut b = format!(
            "<p>Category: <a href=\"/category/{}\">{}</a></p><p class=price>Price: {}</p><p>SKU: {}</p>\
             <p>Rating: {:.1} of 5</p><p>{}</p>\
             <form action=\"/cart/add\" method=post><input type=hidden name=id value={}>\
             <label for=qty>Qty</label> <input id=qty name=qty type=number value=1 min=1>\
             <button type=submit>Add to Cart</button></form><h2>Customer Reviews ({})</h2>",
            slug(&p.category),
            esc(&p.category),
            money(p.price),
            p.sku,
            p.rating(&extra),
            esc(&p.description),
            p.id,
            p.reviews.len() + extra.len()
        );
        for r in p.reviews.iter().chain(&extra) {
            b.push_str(&format!(
                "<div class=card><h3>{}</h3><p>Rating: {} of 5</p><p>{}</p><p>Review by {}</p></div>",
                esc(&r.title), r.rating, esc(&r.text), esc(&r.author)
            ));
        }
        if v.logged_in {
            b.push_str(&format!(
                "<h2>Write a review</h2><form action=\"/product/{}/review\" method=post>\
                 <label for=rtitle>Summary</label> <input id=rtitle name=title required>\
                 <label for=rating>Rating</label> <select id=rating name=rating><option>5</option><option>4</option><option>3</option><option>2</option><option>1</option></select>\
                 <label for=rtext>Review</label> <textarea id=rtext name=text required></textarea>\
                 <button type=submit>Submit Review</button></form>",
                p.id
            ));
        } else {
            b.push_str("<p><a href=\"/login\">Sign in</a> to write a review.</p>");
        }
        shell("One Stop Shop", &p.name, &nav(v), &b)
    });
    page(html, cookie)
}

#[derive(Deserialize)]
struct ReviewForm {
    title: String,
    rating: u8,
    text: String,
}

async fn add_review(
    State(shop): Shared,
    h: HeaderMap,
    Path(pid): Path<usize>,
    Form(f): Form<ReviewForm>,
) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    shop.sessions.with(&id, |v| {
        if v.logged_in && shop.product(pid).is_some() {
            v.reviews.entry(pid).or_default().push(Review {
                author: NAME.into(),
                rating: f.rating.clamp(1, 5),
                title: f.title,
                text: f.text,
            });
        }
    });
    redirect(&format!("/product/{pid}"), cookie)
}

#[derive(Deserialize)]
struct AddForm {
    id: usize,
    #[serde(default)]
    qty: Option<String>,
}

async fn cart_add(State(shop): Shared, h: HeaderMap, Form(f): Form<AddForm>) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let qty: u32 = f
        .qty
        .as_deref()
        .and_then(|q| q.trim().parse().ok())
        .unwrap_or(1)
        .max(1);
    shop.sessions.with(&id, |v| {
        if shop.product(f.id).is_some() {
            match v.cart.iter_mut().find(|c| c.0 == f.id) {
                Some(c) => c.1 += qty,
                None => v.cart.push((f.id, qty)),
            }
            v.message = Some("You added an item to your shopping cart.".into());
        }
    });
    redirect("/cart", cookie)
}

#[derive(Deserialize)]
struct RemoveForm {
    id: usize,
}

async fn cart_remove(State(shop): Shared, h: HeaderMap, Form(f): Form<RemoveForm>) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    shop.sessions.with(&id, |v| v.cart.retain(|c| c.0 != f.id));
    redirect("/cart", cookie)
}

async fn cart(State(shop): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let html = shop.sessions.with(&id, |v| {
        let mut b = v.message.take().map(|m| format!("<p role=status>{}</p>", esc(&m))).unwrap_or_default();
        if v.cart.is_empty() {
            b.push_str("<p>You have no items in your shopping cart.</p>");
        } else {
            b.push_str("<table><tr><th>Item</th><th>Price</th><th>Qty</th><th>Subtotal</th><th></th></tr>");
            let mut total = 0;
            for (pid, q) in &v.cart {
                let p = shop.product(*pid).expect("cart holds known products");
                total += p.price * *q as u64;
                b.push_str(&format!(
                    "<tr><td><a href=\"/product/{}\">{}</a></td><td>{}</td><td>{q}</td><td>{}</td>\
                     <td><form action=\"/cart/remove\" method=post><input type=hidden name=id value={}><button aria-label=\"Remove {}\">Remove</button></form></td></tr>",
                    p.id, esc(&p.name), money(p.price), money(p.price * *q as u64), p.id, esc(&p.name)
                ));
            }
            b.push_str(&format!("</table><p>Order total: {}</p><p><a href=\"/checkout\">Proceed to Checkout</a></p>", money(total)));
        }
        shell("One Stop Shop", "Shopping Cart", &nav(v), &b)
    });
    page(html, cookie)
}

async fn checkout(State(shop): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let html = shop.sessions.with(&id, |v| {
        let b = if v.cart.is_empty() {
            "<p>Your cart is empty.</p>".to_string()
        } else {
            "<form action=\"/checkout\" method=post>\
             <p><label for=fullname>Full name</label> <input id=fullname name=name required></p>\
             <p><label for=address>Street address</label> <input id=address name=address required></p>\
             <p><label for=city>City</label> <input id=city name=city required></p>\
             <p><label for=shipping>Shipping method</label> <select id=shipping name=shipping>\
             <option value=standard>Standard ($5.00)</option><option value=express>Express ($15.00)</option></select></p>\
             <button type=submit>Place Order</button></form>"
                .to_string()
        };
        shell("One Stop Shop", "Checkout", &nav(v), &b)
    });
    page(html, cookie)
}

#[derive(Deserialize)]
struct CheckoutForm {
    name: String,
    address: String,
    city: String,
    #[serde(default)]
    shipping: String,
}

async fn place_order(State(shop): Shared, h: HeaderMap, Form(f): Form<CheckoutForm>) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let number = shop.sessions.with(&id, |v| {
        if v.cart.is_empty() || f.name.trim().is_empty() {
            return None;
        }
        let number = 1004 + v.orders.len() as u32;
        v.orders.push(Order {
            number,
            date: "2026-11-30".into(),
            status: "Pending".into(),
            items: std::mem::take(&mut v.cart),
            shipping: if f.shipping == "express" { 1500 } else { 500 },
            address: format!("{}, {}, {}", f.name.trim(), f.address.trim(), f.city.trim()),
        });
        Some(number)
    });
    match number {
        Some(n) => redirect(&format!("/order/{n}"), cookie),
        None => redirect("/checkout", cookie),
    }
}

fn order_table(shop: &Shop, orders: &[&Order]) -> String {
    let mut b = String::from("<table><tr><th>Order #</th><th>Date</th><th>Order Total</th><th>Status</th><th>Action</th></tr>");
    for o in orders {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/order/{}\">View Order</a></td></tr>",
            o.number, o.date, money(shop.total(o)), o.status, o.number
        ));
    }
    b.push_str("</table>");
    b
}

async fn order(State(shop): Shared, h: HeaderMap, Path(n): Path<u32>) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let html = shop.sessions.with(&id, |v| {
        let o = v
            .orders
            .iter()
            .chain(if v.logged_in { shop.past_orders.iter() } else { [].iter() })
            .find(|o| o.number == n)
            .cloned();
        let b = match o {
            None => "<p>Order not found. Sign in to see your orders.</p>".to_string(),
            Some(o) => {
                let mut b = format!(
                    "<p>Order # {}</p><p>Order Date: {}</p><p>Status: {}</p><p>Ship to: {}</p><table><tr><th>Product</th><th>SKU</th><th>Price</th><th>Qty</th></tr>",
                    o.number, o.date, o.status, esc(&o.address)
                );
                for (pid, q) in &o.items {
                    let p = shop.product(*pid).expect("known product");
                    b.push_str(&format!(
                        "<tr><td><a href=\"/product/{}\">{}</a></td><td>{}</td><td>{}</td><td>{q}</td></tr>",
                        p.id, esc(&p.name), p.sku, money(p.price)
                    ));
                }
                b.push_str(&format!("</table><p>Shipping: {}</p><p>Grand Total: {}</p>", money(o.shipping), money(shop.total(&o))));
                b
            }
        };
        shell("One Stop Shop", &format!("Order # {n}"), &nav(v), &b)
    });
    page(html, cookie)
}

async fn login_page(State(shop): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let html = shop.sessions.with(&id, |v| {
        let msg = v.message.take().map(|m| format!("<p role=alert>{}</p>", esc(&m))).unwrap_or_default();
        shell(
            "One Stop Shop",
            "Customer Login",
            &nav(v),
            &format!(
                "{msg}<form action=\"/login\" method=post><p><label for=email>Email</label> <input id=email name=email type=email required></p>\
                 <p><label for=pass>Password</label> <input id=pass name=password type=password required></p><button type=submit>Sign In</button></form>"
            ),
        )
    });
    page(html, cookie)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login(State(shop): Shared, h: HeaderMap, Form(f): Form<LoginForm>) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let ok = f.email.trim().eq_ignore_ascii_case(EMAIL) && f.password == PASSWORD;
    shop.sessions.with(&id, |v| {
        v.logged_in = ok;
        if !ok {
            v.message = Some("The account sign-in was incorrect. Please try again.".into());
        }
    });
    redirect(if ok { "/account" } else { "/login" }, cookie)
}

async fn logout(State(shop): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    shop.sessions.with(&id, |v| v.logged_in = false);
    redirect("/", cookie)
}

async fn account(State(shop): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = shop.sessions.id(&h);
    let html = shop.sessions.with(&id, |v| {
        if !v.logged_in {
            return None;
        }
        let mut orders: Vec<&Order> = shop.past_orders.iter().chain(&v.orders).collect();
        orders.sort_by_key(|o| std::cmp::Reverse(o.number));
        let b = format!(
            "<h2>Contact Information</h2><p>{NAME}</p><p>{EMAIL}</p><h2>My Orders</h2>{}",
            order_table(&shop, &orders)
        );
        Some(shell("One Stop Shop", "My Account", &nav(v), &b))
    });
    match html {
        Some(h) => page(h, cookie),
        None => redirect("/login", cookie),
    }
}

/// The shop's routes.
pub fn router(shop: Arc<Shop>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/category/{c}", get(category))
        .route("/product/{id}", get(product))
        .route("/product/{id}/review", post(add_review))
        .route("/cart", get(cart))
        .route("/cart/add", post(cart_add))
        .route("/cart/remove", post(cart_remove))
        .route("/checkout", get(checkout).post(place_order))
        .route("/order/{n}", get(order))
        .route("/login", get(login_page).post(login))
        .route("/logout", get(logout))
        .route("/account", get(account))
        .with_state(shop)
}
